from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "apps.people"
    label = "people"
    verbose_name = "People and roles"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from apps.desk.audit import chain_model
        from apps.desk.history import register_history
        from apps.people.models import User
        from apps.people.roles import Role, grant_role_permissions
        from apps.people.signals import chain_people_changes

        register_history("person", User, (Role.SUPERVISOR, Role.AUDITOR))
        chain_model(User)
        chain_people_changes()

        # Later apps add models; their permissions join the roles after every migrate.
        post_migrate.connect(grant_role_permissions, dispatch_uid="people.grant_role_permissions")

        from django.contrib.auth.models import update_last_login
        from django.contrib.auth.signals import user_logged_in

        from apps.people.signals import stamp_last_login

        # Signing in is not a change to a person: keep it out of their history.
        user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
        user_logged_in.connect(stamp_last_login, dispatch_uid="people.stamp_last_login")
