"""make chaos: a steady mixed load through the front door, kills in the middle of
it, and what the clients saw (per kill) and what the platform kept (after it).

    .venv/bin/python -m devstack.chaos --rate 5 --duration 110 --kill "40 program apps:listings 10"
    .venv/bin/python -m devstack.chaos --target cluster --rate 4 --mix sign_in=3,register=0 \
        --duration 150 --kill "50 node-kill node-b 30"
    .venv/bin/python -m devstack.chaos --target cluster      # the issue's five kills

The cluster runs HEARTH_ENV=production, whose per-address limits (30 sign-ins a
minute, 20 registrations an hour) every client here shares: hence --mix.

Definitions (devstack.chaos.analysis computes them; its tests hold them):

- A request's time is when it was *due* (open model: arrivals at a fixed rate, so
  a stalled server cannot slow the load down and hide its own latency); its
  latency runs from then until the client has its final answer, retries included.
- A request *fails* when the client, after the retries it is allowed, has no
  answer it expected: no response, a 5xx, a 429, or a status the operation does
  not expect. Expected refusals (409 for an application to a listing just let)
  are answers, not failures.
- *Baseline p99*: the p99 latency of the requests due in the `--baseline` seconds
  (default 20) before the kill.
- *Recovered* at t (on a 1 s grid from the kill): no request due from t until the
  horizon (the next kill, or the end of the load) failed, and every `--stable`
  second window (default 10) from t to the horizon has a p99 at most
  max(1.5 x baseline p99, baseline p99 + 50 ms); at least one such window must
  fit before the horizon, else the kill never recovered. Recovery time = t - kill.
- *Failover window*: from the kill to max(recovery, `--min-window`, default 30 s)
  after it (to the horizon when it never recovered); its error rate and p99 are
  over every request due in it.
"""
