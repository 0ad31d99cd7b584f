"""The CPR guard's three front doors, form fields, API schemas and imports, refuse text holding a
CPR number with a message that says why, and never repeat the number."""

from __future__ import annotations

import json

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st
from ninja import Router, Schema
from ninja.testing import TestClient
from pydantic import TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from skranke.lib.cpr import contains_cpr_number
from skranke.lib.validators import (
    CPR_MESSAGE,
    CprInImport,
    NoCprStr,
    check_import_text,
    validate_no_cpr,
    validate_no_cpr_in_data,
)

NOTE_WITH_CPR = "Borger 010190-1234 ringede om pas"
NOTE_WITHOUT_CPR = "Borger ringede fra 12 34 56 78 om pas den 24-12-2026"


class NoteForm(forms.Form):
    note = forms.CharField(validators=[validate_no_cpr])


class NoteIn(Schema):
    note: NoCprStr


# Form fields


def test_validate_no_cpr_refuses_a_cpr_number_with_code_cpr() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_no_cpr(NOTE_WITH_CPR)
    assert caught.value.code == "cpr"
    assert caught.value.messages == [str(CPR_MESSAGE)]
    assert "010190" not in str(caught.value)


def test_a_form_field_with_the_validator_reports_the_error_on_that_field() -> None:
    form = NoteForm(data={"note": NOTE_WITH_CPR})
    assert not form.is_valid()
    assert form.has_error("note", code="cpr")
    assert form.errors["note"] == [str(CPR_MESSAGE)]


def test_a_form_field_with_the_validator_takes_ordinary_text() -> None:
    form = NoteForm(data={"note": NOTE_WITHOUT_CPR})
    assert form.is_valid()
    assert form.cleaned_data["note"] == NOTE_WITHOUT_CPR


@given(st.text(max_size=40))
def test_validate_no_cpr_refuses_exactly_what_the_detector_finds(text: str) -> None:
    if contains_cpr_number(text):
        with pytest.raises(ValidationError):
            validate_no_cpr(text)
    else:
        validate_no_cpr(text)


# API schemas


def test_no_cpr_str_refuses_a_cpr_number_with_type_cpr_and_the_plain_message() -> None:
    with pytest.raises(PydanticValidationError) as caught:
        TypeAdapter(NoCprStr).validate_python(NOTE_WITH_CPR)
    [error] = caught.value.errors()
    assert error["type"] == "cpr"
    assert error["msg"] == str(CPR_MESSAGE)
    assert "010190" not in error["msg"]


def test_no_cpr_str_returns_ordinary_text_unchanged() -> None:
    assert TypeAdapter(NoCprStr).validate_python(NOTE_WITHOUT_CPR) == NOTE_WITHOUT_CPR


def test_a_schema_field_of_type_no_cpr_str_refuses_a_cpr_number() -> None:
    with pytest.raises(PydanticValidationError) as caught:
        NoteIn(note=NOTE_WITH_CPR)
    [error] = caught.value.errors()
    assert error["loc"] == ("note",)
    assert error["type"] == "cpr"
    assert NoteIn(note=NOTE_WITHOUT_CPR).note == NOTE_WITHOUT_CPR


def test_an_endpoint_taking_the_schema_answers_422_with_the_message() -> None:
    router = Router()

    @router.post("/notes")
    def add_note(request: HttpRequest, payload: NoteIn) -> dict[str, str]:
        return {"note": payload.note}

    client = TestClient(router)
    refused = client.post("/notes", json={"note": NOTE_WITH_CPR})
    assert refused.status_code == 422
    [detail] = refused.json()["detail"]
    assert detail["type"] == "cpr"
    assert detail["msg"] == str(CPR_MESSAGE)
    assert "010190" not in json.dumps(refused.json())
    accepted = client.post("/notes", json={"note": NOTE_WITHOUT_CPR})
    assert accepted.status_code == 200
    assert accepted.json() == {"note": NOTE_WITHOUT_CPR}


# Imports


def test_check_import_text_names_the_line_and_column() -> None:
    with translation.override("en"), pytest.raises(CprInImport) as caught:
        check_import_text(NOTE_WITH_CPR, line=17, column="note")
    assert caught.value.line == 17
    assert caught.value.column == "note"
    message = str(caught.value)
    assert "Line 17" in message
    assert "“note”" in message
    assert "CPR number" in message
    assert "010190" not in message
    with translation.override("da"), pytest.raises(CprInImport) as in_danish:
        check_import_text(NOTE_WITH_CPR, line=17, column="note")
    assert "Linje 17" in str(in_danish.value)
    assert "CPR-nummer" in str(in_danish.value)


def test_a_cpr_in_an_import_is_a_value_error_for_readers_that_catch_those() -> None:
    # Danish chosen here, as an earlier test's request may have left English active.
    with translation.override("da"), pytest.raises(ValueError, match="Linje 3"):
        check_import_text("0101901234", line=3, column="comment")


def test_a_reader_checking_every_cell_refuses_only_the_line_with_a_cpr_number() -> None:
    cells = [NOTE_WITHOUT_CPR, "Ring +45 12 34 56 78", NOTE_WITH_CPR, "Møde 24.12.2026 kl. 14.30"]
    refused_lines = []
    # Line 1 of the file is the heading row, so the first cell is on line 2.
    for line, text in enumerate(cells, start=2):
        try:
            check_import_text(text, line=line, column="note")
        except CprInImport as error:
            refused_lines.append(error.line)
    assert refused_lines == [4]


# JSON-like data


def test_validate_no_cpr_in_data_looks_at_every_string_keys_included() -> None:
    validate_no_cpr_in_data({"reason": NOTE_WITHOUT_CPR, "count": 1234567890, "at": None})
    for data in [
        NOTE_WITH_CPR,
        {"reason": NOTE_WITH_CPR},
        {"notes": [NOTE_WITHOUT_CPR, {"inner": NOTE_WITH_CPR}]},
        {"0101901234": "key"},
        ("tuple", NOTE_WITH_CPR),
    ]:
        with pytest.raises(ValidationError) as caught:
            validate_no_cpr_in_data(data)
        assert caught.value.code == "cpr"
