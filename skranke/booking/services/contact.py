"""Who an appointment is for: a name, and a phone number and/or an e-mail address; never a CPR
number."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from skranke.booking.errors import BadBookingInput
from skranke.lib.cpr import contains_cpr_number
from skranke.lib.validators import CPR_ERROR_CODE, CPR_MESSAGE
from skranke.messaging.phone import normalise_danish_phone

NAME_MAX_LENGTH = 100
EMAIL_MAX_LENGTH = 254


@dataclass(frozen=True)
class ContactDetails:
    """A citizen's contact details in stored form: the name with single spaces, the phone
    number as +45 and eight digits, the e-mail address in lower case ("" when not given), and
    the language their messages are written in ("da" or "en")."""

    name: str
    phone: str = ""
    email: str = ""
    language: str = "da"


def clean_contact(
    name: str, phone: str = "", email: str = "", language: str | None = None
) -> ContactDetails:
    """Return the contact details in stored form.

    Raises BadBookingInput (with ``field`` set) for the first problem: no name, a name too
    long, anything holding a CPR number, a phone number that is not Danish, a malformed e-mail
    address, or neither a phone number nor an e-mail address. An unknown ``language`` becomes
    the site's.
    """
    name = " ".join(name.split())
    for field, text in (("name", name), ("phone", phone), ("email", email)):
        if contains_cpr_number(text):
            raise BadBookingInput(CPR_ERROR_CODE, CPR_MESSAGE, field=field)
    if not name:
        raise BadBookingInput("name_missing", _("Give the name of who is coming."), field="name")
    if len(name) > NAME_MAX_LENGTH:
        raise BadBookingInput(
            "name_too_long",
            _("A name has at most %(count)d characters.") % {"count": NAME_MAX_LENGTH},
            field="name",
        )
    stored_phone = ""
    if phone.strip():
        try:
            stored_phone = normalise_danish_phone(phone)
        except ValidationError as error:
            raise BadBookingInput("phone", " ".join(error.messages), field="phone") from None
    stored_email = email.strip().lower()
    if stored_email:
        try:
            if len(stored_email) > EMAIL_MAX_LENGTH:
                raise ValidationError(_("Enter a valid email address."))
            validate_email(stored_email)
        except ValidationError:
            raise BadBookingInput(
                "email", _("Enter an e-mail address such as name@example.dk."), field="email"
            ) from None
    if not stored_phone and not stored_email:
        raise BadBookingInput(
            "contact_missing",
            _("Give a phone number or an e-mail address, so we can send the confirmation."),
            field="phone",
        )
    languages = dict(settings.LANGUAGES)
    chosen = (language or "")[:2].lower()
    if chosen not in languages:
        chosen = settings.LANGUAGE_CODE
    return ContactDetails(name, stored_phone, stored_email, chosen)
