"""Small building blocks both apps share: the timestamp base model, the job status, the API's
page numbers and field errors, calendar arithmetic. Imports neither partners nor matching."""
