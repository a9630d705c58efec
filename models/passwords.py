"""What a password must be: long enough and not guessable (zxcvbn's estimate, which knows the
common passwords, keyboard runs, repeats, dates and the person's own e-mail and name)."""

from zxcvbn import zxcvbn

from models.errors import Invalid

MIN_PASSWORD_LENGTH = 10
# zxcvbn's 0–4 scale: 3 is "safely unguessable" against an online attack on a slow hash.
MIN_SCORE = 3
# zxcvbn's cost grows with length; a longer password is not weaker for being cut for scoring.
# 72 is zxcvbn's own limit: past it, it raises ValueError (a 500 for a 73-character password).
_SCORED_CHARACTERS = 72


def check_password(password: str, *, personal: tuple[str, ...] = ()) -> None:
    """Refuse a password shorter than MIN_PASSWORD_LENGTH or easy to guess (Invalid, field
    "password", in Ukrainian). ``personal``: the account's e-mail, name, organization."""
    if len(password.strip()) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            f"Пароль має містити щонайменше {MIN_PASSWORD_LENGTH} символів (без пробілів на "
            "початку й у кінці).",
            field="password",
        )
    inputs = [part for value in personal for part in value.replace("@", " ").split() if part]
    if zxcvbn(password[:_SCORED_CHARACTERS], user_inputs=inputs)["score"] < MIN_SCORE:
        raise Invalid(
            "Пароль легко вгадати: він поширений, складається з повторів чи послідовностей "
            "(aaaa, 1234, qwerty) або містить вашу адресу чи ім’я. Візьміть три-чотири не "
            "пов’язані між собою слова або довшу фразу.",
            field="password",
        )
