"""Reading an uploaded file within a size limit (the API and the console share it)."""

from fastapi import UploadFile

from models.errors import Invalid

MAX_UPLOAD = 2_000_000


def read_upload(upload: UploadFile, field: str, limit: int = MAX_UPLOAD) -> bytes:
    """The file's bytes; Invalid (naming the field) when it is empty or over the limit."""
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise Invalid("Файл завеликий.", field=field)
    if not data:
        raise Invalid("Файл порожній.", field=field)
    return data
