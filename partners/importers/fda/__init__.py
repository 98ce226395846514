"""FDA's own files, imported: Data Dashboard exports (inspections classification, compliance
actions, published 483s, citations).

    files.py      CSV, XLSX and zip files read as numbered rows, whatever their encoding
    formats.py    each export's header, recognised, and its columns read into record fields
    importer.py   one file's rows checked and upserted in batches, with a report
    uploads.py    files uploaded in the admin: stored, then imported in the request or by a worker
"""
