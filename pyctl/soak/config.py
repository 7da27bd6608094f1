"""What one soak run is: its settings, the ids it works on, and the constants
that bound its judgments (each in one place, reported in the run's JSON)."""
from __future__ import annotations

from dataclasses import dataclass, field

#: seconds: how long a send transaction may hold the company's kill-switch
#: lock while its provider runs (execute_send's provider_timeout); the soak's
#: providers sometimes take longer, so the server ends those sends
PROVIDER_TIMEOUT = 1.0
#: the kill switch's bound (invariant 6): a change waits for the sends that
#: hold its company's lock. A send holds it for its insert plus at most
#: provider_timeout; a send that holds the lock while it queues for the
#: Company Target's row lock (lock_timeout = provider_timeout) behind another
#: send adds at most one more provider_timeout. GRACE covers the change's own
#: work, its commit and the scheduling of a loaded two-core machine.
KILL_SWITCH_SENDS = 2
KILL_SWITCH_GRACE = 2.0
#: seconds: a change recorded in a history table is taken to be visible to a
#: gate check that started this long after its changed_at (the commit follows
#: the history row by the commit's WAL flush, which a loaded machine can
#: stall); inside the window the judge gives the benefit of the doubt (see
#: invariants.judge_send). A gate that ignored a change would keep clearing
#: sends long after it, so the window costs the judge little.
JUDGE_WINDOW = 2.0
#: probability that an operation the soak writes as SQL runs under a short
#: statement_timeout (set_config(..., true)), and the range of that timeout
STATEMENT_TIMEOUT_RATE = 0.04
STATEMENT_TIMEOUT_MS = (1, 40)
#: mean seconds between two backends terminated by the fault client
TERMINATE_EVERY = 1.5
#: companies built up before the clients start, per client, and the pools
#: the clients register, mint and orphan during the run, per client (the
#: legacy pool grows with the run's length: a minter that binds a legacy
#: company ends its orphan-and-cascade cycles)
SETUP_COMPANIES_PER_CLIENT = 25
LEGACY_COMPANIES_PER_CLIENT = 4
LEGACY_COMPANIES_PER_CLIENT_MINUTE = 2
NEW_COMPANIES_PER_CLIENT = 40
#: the group roles the clients log in as (one login each)
CLIENT_ROLES = ("outreach_cl_authority", "outreach_hub_writer", "outreach_override_admin", "outreach_sender",
                "outreach_governor")


@dataclass(frozen=True)
class SoakConfig:
    """One run: `clients` threads for `seconds`, a crash every `crash_every`
    seconds (None: no crash), everything random drawn from `seed`."""

    clients: int
    seconds: float
    seed: int = 1
    crash_every: float | None = None
    provider_timeout: float = PROVIDER_TIMEOUT
    judge_window: float = JUDGE_WINDOW
    terminate_every: float | None = TERMINATE_EVERY
    statement_timeout_rate: float = STATEMENT_TIMEOUT_RATE

    @property
    def kill_switch_bound(self) -> float:
        return KILL_SWITCH_SENDS * self.provider_timeout + KILL_SWITCH_GRACE

    def replay_command(self, dsn_shown: str | None = None) -> str:
        """The command line that replays this run's random choices."""
        parts = ["pyctl soak", f"--clients {self.clients}", f"--seconds {self.seconds:g}"]
        if self.crash_every:
            parts.append(f"--crash-every {self.crash_every:g}")
        parts.append(f"--seed {self.seed}")
        if dsn_shown:
            parts.append(f"--dsn '{dsn_shown}'")
        return " ".join(parts)


@dataclass(frozen=True)
class Universe:
    """The ids one run works on, all under one prefix `SK<seed>R<run>-`:
    companies 0 .. setup-1 are built to tier 2 before the clients start,
    the legacy ones are registered with CL only (the legacy loader gives
    some an unbound spine row, the cascade removes them again, minters race
    for them), the new ones are registered, minted and built during the run.
    Three campaigns: EMAIL at minimum tier 1 and 2, PHONE at 1."""

    prefix: str
    setup: int
    legacy: int
    new: int
    campaigns: dict[str, tuple[str, int, int]] = field(default_factory=dict)  # id -> (channel, min_tier, steps)

    @classmethod
    def build(cls, prefix: str, clients: int, seconds: float) -> "Universe":
        campaigns = {f"{prefix}EMAIL1": ("EMAIL", 1, 2), f"{prefix}EMAIL2": ("EMAIL", 2, 3),
                     f"{prefix}PHONE1": ("PHONE", 1, 1)}
        legacy = clients * (LEGACY_COMPANIES_PER_CLIENT + int(LEGACY_COMPANIES_PER_CLIENT_MINUTE * seconds / 60))
        return cls(prefix, SETUP_COMPANIES_PER_CLIENT * clients, legacy, NEW_COMPANIES_PER_CLIENT * clients,
                   campaigns)

    def company(self, i: int) -> str:
        return f"{self.prefix}{i:06d}"

    @property
    def size(self) -> int:
        return self.setup + self.legacy + self.new

    def setup_ids(self) -> range:
        return range(0, self.setup)

    def legacy_ids(self) -> range:
        return range(self.setup, self.setup + self.legacy)

    def new_ids(self) -> range:
        return range(self.setup + self.legacy, self.size)

    def like(self) -> str:
        """A LIKE pattern for the run's ids (the prefix has no wildcard characters)."""
        return self.prefix + "%"
