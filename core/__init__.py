"""Small building blocks both apps share: the timestamp base model, the job status, the API's
page numbers and field errors, calendar arithmetic, quantities as text ("2,000 L"), the request
a view reads django-htmx's details from, the job status in templates and the pagination
partial's tag. Imports neither partners nor matching."""
