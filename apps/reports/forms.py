from django import forms

from apps.reports.models import ReportRecipient


class RecipientForm(forms.ModelForm):
    class Meta:
        model = ReportRecipient
        fields = ["email", "name"]
        labels = {"email": "E-mail", "name": "Name (optional)"}
