"""Excel in and out, once, for every importer (people, training sessions, the question bank,
grading standards).

An import is a background job: the upload is checked and stored, the job reads the workbook,
checks every row and imports all of them or none, reporting each problem with the row number and
column header the user sees in Excel, in their language. The pieces:

- ``columns``: ``Column`` (key, header in either language, required, kind, allowed values,
  help) and reading one cell (``Column.parse``, ``cell_text``, ``parse_date``);
- ``reader``: the upload's rows within ``IMPORT_MAX_ROWS``/``IMPORT_MAX_COLUMNS``
  (``sheet_rows``), and the header row mapped to the columns in either language;
- ``rows``: all rows or none — ``Problems`` per row and column, ``rejected``;
- ``template``: the template (data sheet, guide sheet 说明, drop-downs on choice columns);
- ``writer``: the one workbook writer, exports and templates alike: text never becomes a formula;
- ``importers`` and ``views``: an importer registers itself once (``register_importer``: its job
  handler, template, form, permission and pages) and is served by the one import page.
"""
