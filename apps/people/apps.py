from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "apps.people"
    label = "people"
    verbose_name = "People and roles"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from apps.people.roles import grant_role_permissions

        # Later apps add models; their permissions join the roles after every migrate.
        post_migrate.connect(grant_role_permissions, dispatch_uid="people.grant_role_permissions")
