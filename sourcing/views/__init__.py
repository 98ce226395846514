"""The procurement workspace as pages, one module per part of it: shortlists and their pipeline
(shortlists), quotes and attachments (documents), team scoring (scoring), the side-by-side
comparison (comparison) and decision records (decisions)."""
