"""Web forms of the accounts pages (CSRF by Flask-WTF). Rules live in the service."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from blood.errors import ValidationFailed


class LoginForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=200)]
    )
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])


class TokenForm(FlaskForm):
    name = StringField(_l("Name (e.g. the system that will use it)"), validators=[DataRequired()])


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=64)])
    display_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=100)])
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), Length(max=200)])
    roles = CheckboxList(_l("Roles"), validators=[DataRequired()])
    locale = SelectField(
        _l("Language"),
        choices=[SelectChoice("zh_CN", "中文"), SelectChoice("en", "English")],
        default="zh_CN",
    )


def apply_errors(form: FlaskForm, error: ValidationFailed) -> None:
    """Put a service's field errors beside the form's fields (or at the top if none fits)."""
    for name, messages in error.fields.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*list(field.errors), *messages]
        else:
            form.form_errors.extend(messages)
