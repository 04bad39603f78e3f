"""`manage.py create_staff --email …`: an operator makes a staff account.

It registers the account through services.user_register, like a sign-up: the
email is claimed and user_registered is published, so every context knows the
account. Django's createsuperuser cannot do that: it calls the model manager, and
accounts' models never call services (pyproject.toml's layers contract).

The password comes from DJANGO_SUPERUSER_PASSWORD, as for createsuperuser, or
from a prompt; never from the command line, where any local user's `ps` shows it.
"""

import getpass
import os

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.accounts import services
from apps.accounts.models import Role, User
from apps.accounts.selectors import user_by_email
from kernel import errors

PASSWORD_VARIABLE = "DJANGO_SUPERUSER_PASSWORD"  # noqa: S105 (a variable's name)
FULL_NAME_VARIABLE = "DJANGO_SUPERUSER_FULL_NAME"


class Command(BaseCommand):
    help = "Create a staff account (with --superuser, one that may also change staff rights)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--full-name", default=os.environ.get(FULL_NAME_VARIABLE))
        parser.add_argument("--role", choices=Role.values, default=Role.LANDLORD)
        parser.add_argument("--superuser", action="store_true")
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help=f"Never prompt: the password must be in {PASSWORD_VARIABLE}.",
        )

    def handle(self, *args, email: str, full_name: str | None, role: str, **options) -> None:
        if not full_name:
            raise CommandError(f"Give --full-name (or set {FULL_NAME_VARIABLE}).")
        try:
            if user_by_email(email=email) is not None:
                raise CommandError(f"An account with the email {email} already exists.")
            password = self._password(interactive=options["interactive"])
            try:
                password_validation.validate_password(
                    password, User(email=email, full_name=full_name, role=role)
                )
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from error
            user = services.user_register(
                email=email,
                password=password,
                full_name=full_name,
                role=role,
                is_staff=True,
                is_superuser=options["superuser"],
            )
        except errors.DomainError as error:  # an invalid email, or one taken meanwhile
            raise CommandError(error.message) from error
        kind = "Superuser" if user.is_superuser else "Staff account"
        self.stdout.write(f"{kind} {user.email} created ({user.id}).")

    def _password(self, *, interactive: bool) -> str:
        if password := os.environ.get(PASSWORD_VARIABLE):
            return password
        if not interactive:
            raise CommandError(f"Set {PASSWORD_VARIABLE}, or run without --noinput.")
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("The passwords differ.")
        return password
