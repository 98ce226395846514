"""Forms of the catalogue app."""

from django import forms
from django.template.defaultfilters import filesizeformat

from partners.importers.fda.uploads import MAX_UPLOAD_BYTES, UPLOAD_EXTENSIONS, stored_upload
from partners.models import RegulatorImport


class RegulatorImportUploadForm(forms.ModelForm):
    """The admin's upload of a regulator export: one file, CSV or XLSX, as FDA's site gives it.

    Only the file's name and size are checked here; what is in it is the importer's to judge,
    and its report says what was wrong, row by row.
    """

    file = forms.FileField(
        label="FDA Data Dashboard export",
        help_text=(
            "A CSV or XLSX file as downloaded from FDA's Data Dashboard: inspections "
            "classification, compliance actions, published 483s or citations; or FDA's drug "
            "establishment registrations (drls_reg.txt, tab-separated, or as XLSX). Recognised "
            f"by its header row. Up to {filesizeformat(MAX_UPLOAD_BYTES)}."
        ),
        widget=forms.ClearableFileInput(
            attrs={"accept": ",".join(f".{extension}" for extension in UPLOAD_EXTENSIONS)}
        ),
        error_messages={
            "required": "Choose the export file to upload.",
            "empty": "The file is empty: download the export from FDA again.",
        },
    )

    class Meta:
        model = RegulatorImport
        fields: list[str] = []

    def clean_file(self):
        upload = self.cleaned_data["file"]
        extension = upload.name.rpartition(".")[2].lower() if "." in upload.name else ""
        if extension not in UPLOAD_EXTENSIONS:
            raise forms.ValidationError(
                "“%(name)s” is not a CSV or XLSX file. Upload the export as FDA's Data Dashboard "
                "gives it (.csv or .xlsx), or FDA's registration file as it ships it (.txt); save "
                "an old .xls workbook as .xlsx first.",
                code="extension",
                params={"name": upload.name},
            )
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                "“%(name)s” is %(size)s; the largest file accepted is %(limit)s. Export a "
                "shorter period from FDA's Data Dashboard, or split the file.",
                code="too_big",
                params={
                    "name": upload.name,
                    "size": filesizeformat(upload.size),
                    "limit": filesizeformat(MAX_UPLOAD_BYTES),
                },
            )
        return upload

    def save(self, commit: bool = True) -> RegulatorImport:
        for name, value in stored_upload(self.cleaned_data["file"]).items():
            setattr(self.instance, name, value)
        return super().save(commit)
