"""Resident ID numbers: encrypted at rest, rotatable keys, nothing readable in a dump."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from tenants import personal_data
from tenants.models import Person
from tenants.scope import dangerously_platform_scope

from ..conftest import OWNER_CREDENTIALS


def _numbers(world) -> list[str]:
    with dangerously_platform_scope():
        return [personal_data.decrypt(p.resident_id_cipher) for p in Person.objects.all()]


@pytest.mark.django_db
def test_key_rotation_re_encrypts_and_old_key_can_go(world, settings):
    before = _numbers(world)
    old = Fernet.generate_key().decode()
    settings.RESIDENT_ID_KEYS = [old, personal_data.derived_key()]
    call_command("rotate_resident_id_keys")  # from the embedded default key to `old`
    new = Fernet.generate_key().decode()
    settings.RESIDENT_ID_KEYS = [new, old]
    with dangerously_platform_scope():
        cipher_before = dict(Person.objects.values_list("pk", "resident_id_cipher"))
    call_command("rotate_resident_id_keys", batch_size=3)
    settings.RESIDENT_ID_KEYS = [new]  # the old key is removed
    assert _numbers(world) == before
    with dangerously_platform_scope():
        after = dict(Person.objects.values_list("pk", "resident_id_cipher"))
        assert all(after[pk] != cipher_before[pk] for pk in after)
        # Exact lookup by keyed hash still finds each person.
        for number in before:
            assert Person.objects.filter(resident_id_digest=personal_data.digest(number)).count() == 1


@pytest.mark.django_db
def test_a_new_hash_key_takes_effect_with_the_command(world, settings):
    number = _numbers(world)[0]
    settings.RESIDENT_ID_HASH_KEY = "new-hash-key-0123456789abcdef"
    call_command("rotate_resident_id_keys")
    with dangerously_platform_scope():
        assert Person.objects.filter(resident_id_digest=personal_data.digest(number)).exists()


def _dump_people_table() -> str:
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        env = {"PGPASSWORD": OWNER_CREDENTIALS.get("password") or s["PASSWORD"] or ""}
        command = [
            shutil.which("pg_dump") or "pg_dump",
            *("-h", s["HOST"] or "127.0.0.1", "-p", str(s["PORT"] or 5432)),
            *("-U", OWNER_CREDENTIALS.get("user") or s["USER"]),
            *("--data-only", "-t", "tenants_person", s["NAME"]),
        ]
        out = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
        return out.stdout
    return "\n".join(connection.connection.iterdump())


@pytest.mark.django_db(transaction=True)
def test_a_database_dump_reveals_no_resident_id(world):
    numbers = _numbers(world)
    dump = _dump_people_table()
    assert world.a.people[0].employee_no in dump  # the dump really holds the people
    for number in numbers:
        assert number not in dump
        assert number[6:14] + number[-4:] not in dump  # not even birth date and tail together
