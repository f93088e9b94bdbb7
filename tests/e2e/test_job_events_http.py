"""``GET /jobs/{id}/events``: server-sent status events until the job ends."""

from __future__ import annotations

import json

from tests.support.server import Server, assert_error, submit_upload

CSV = b"id,text\n" + b"".join(f"{i},row number {i}\n".encode() for i in range(2000))


def _events(srv: Server, task_id: str) -> list[tuple[str, dict]]:
    events: list[tuple[str, dict]] = []
    with srv.client.stream("GET", f"/jobs/{task_id}/events", timeout=60) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        name = ""
        for line in response.iter_lines():
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: "):
                events.append((name, json.loads(line.removeprefix("data: "))))
    return events


def test_events_stream_until_the_job_ends(server: Server) -> None:
    response = submit_upload(server.client, CSV, "streamed")
    assert response.status_code == 202
    events = _events(server, response.json()["task_id"])
    names = [name for name, _ in events]
    assert names[-1] == "end" and set(names[:-1]) == {"status"}
    statuses = [data for name, data in events if name == "status"]
    assert statuses[-1]["status"] == "succeeded"
    assert statuses[-1]["result"]["rows_loaded"] == 2000
    assert len({json.dumps(s, sort_keys=True) for s in statuses}) == len(statuses)


def test_events_of_an_unknown_job_are_a_404(server: Server) -> None:
    assert_error(server.client.get("/jobs/nope/events"), 404, "nope")
