"""Reports: the shared machinery every printed or drawn output uses, once.

* ``pdf`` — HTML to PDF with WeasyPrint: the CJK font, and a URL fetcher locked to the
  resources a report hands over (nothing from the disk or the network);
* ``charts`` — server-side SVG charts (pygal) with no script, the same on a page and in a PDF;
* ``evidence`` — evidence files (photos, scans) in the private storage, their thumbnails made
  by a task once the save commits, and the sweep of files no record names any more.

Certificates (training) and assessment reports (grading) use it; so do later reports.
"""
