"""Reading an uploaded file within a size limit (the API and the console share it)."""

from fastapi import UploadFile

from models.errors import Invalid, TooLarge

MAX_UPLOAD = 2_000_000


def megabytes(size: int) -> str:
    """A size limit as people read it: "2 МБ", "1,5 МБ"."""
    return f"{size / 1_000_000:.1f}".replace(".0", "").replace(".", ",") + " МБ"


def read_upload(upload: UploadFile, field: str, limit: int = MAX_UPLOAD) -> bytes:
    """The file's bytes; Invalid (naming the field) when it is empty or over the limit."""
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"Файл завеликий: більше {megabytes(limit)}.", field=field)
    if not data:
        raise Invalid("Файл порожній.", field=field)
    return data
