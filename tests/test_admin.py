"""Every model has an admin page that staff can open; nobody else gets in."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

PROJECT_APPS = ("guardsite", "filters", "blocklists", "deployments", "review")


def _project_models():
    return [m for m in apps.get_models() if m._meta.app_label in PROJECT_APPS]


def test_every_project_model_is_in_the_admin():
    missing = [m._meta.label for m in _project_models() if not admin.site.is_registered(m)]
    assert missing == []


@pytest.mark.django_db
@pytest.mark.parametrize("model", _project_models(), ids=lambda m: m._meta.label)
def test_staff_open_every_changelist(model, client, django_user_model):
    superuser = django_user_model.objects.create_superuser("root", "root@example.com", "pw-12345!")
    client.force_login(superuser)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_members_who_are_not_staff_are_sent_to_the_admin_login(client, owner):
    client.force_login(owner)
    response = client.get(reverse("admin:filters_contentfilter_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
