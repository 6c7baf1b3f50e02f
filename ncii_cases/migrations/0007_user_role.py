"""Roles by a stable code: ``User.role``, set from the role groups the account was in.

Before this migration an account's role was the name of its group; the field now decides it,
and the groups only mirror the role's model-wide admin rights. The effective role of every
account is unchanged, so no ``role_change`` entry is written. An account in several role
groups keeps the first in the order of ``choices.Role`` (the order the old lookup used)."""

from django.db import migrations, models

import ncii_cases.models

# The role codes in the order the old group lookup tried them.
ROLE_ORDER = ["coordinator", "school_admin", "investigator", "support_staff", "auditor", "it_admin"]


def roles_from_groups(apps, schema_editor):
    User = apps.get_model("ncii_cases", "User")
    Group = apps.get_model("auth", "Group")
    done = set()
    for code in ROLE_ORDER:
        group = Group.objects.filter(name=code).first()
        if group is None:
            continue
        members = set(group.user_set.values_list("pk", flat=True)) - done
        # The plain base manager: the account manager refuses bulk updates of roles, which
        # would leave no access-log entry; this one copies an unchanged role into its field.
        User._base_manager.filter(pk__in=members).update(role=code)
        done |= members


def groups_from_roles(apps, schema_editor):
    User = apps.get_model("ncii_cases", "User")
    Group = apps.get_model("auth", "Group")
    for code in ROLE_ORDER:
        group, _ = Group.objects.get_or_create(name=code)
        group.user_set.add(*User._base_manager.filter(role=code))


class Migration(migrations.Migration):

    dependencies = [
        ('auth', '0012_alter_user_first_name_max_length'),
        ('ncii_cases', '0006_case_next_due_at'),
    ]

    operations = [
        migrations.AlterModelManagers(
            name='user',
            managers=[
                ('objects', ncii_cases.models.AccountManager()),
            ],
        ),
        migrations.AddField(
            model_name='historicaluser',
            name='role',
            field=models.CharField(blank=True, choices=[('coordinator', 'District Title IX coordinator'), ('school_admin', 'School administrator / deputy coordinator'), ('investigator', 'Investigator'), ('support_staff', 'Support staff (counselor, social worker)'), ('auditor', 'District auditor'), ('it_admin', 'System administrator (IT)')], help_text='What the account does here. Empty: no role, no access to cases.', max_length=20),
        ),
        migrations.AddField(
            model_name='user',
            name='role',
            field=models.CharField(blank=True, choices=[('coordinator', 'District Title IX coordinator'), ('school_admin', 'School administrator / deputy coordinator'), ('investigator', 'Investigator'), ('support_staff', 'Support staff (counselor, social worker)'), ('auditor', 'District auditor'), ('it_admin', 'System administrator (IT)')], help_text='What the account does here. Empty: no role, no access to cases.', max_length=20),
        ),
        migrations.RunPython(roles_from_groups, groups_from_roles),
    ]
