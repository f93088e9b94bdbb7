"""The Python client of binnr's HTTP API: ``Client(url, api_key=None)``.

>>> from binnr.client import Client
>>> with Client("http://127.0.0.1:8000") as client:
...     client.upload("tweets.csv", "tweets").wait(progress=True)
"""

from binnr.client.client import Client
from binnr.client.errors import error_class, error_from_body
from binnr.client.jobs import Job
from binnr.client.tables import TablePage

__all__ = ["Client", "Job", "TablePage", "error_class", "error_from_body"]
