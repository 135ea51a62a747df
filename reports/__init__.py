"""The report engine (issue 18): the daily report (日报) and the weekly circular (通报) as documents.

Built from the same read functions the pages use (data_access), never from SQL of its own: `daily`
gathers the day's figures and writes the text, `circular` the week's inspection findings; the
workbook and the PDF are further renderings of the same figures. Templates are Jinja2 (templates/).
"""
