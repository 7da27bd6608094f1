"""`pyctl seed --companies N [--seed S]`: see pyctl.seed."""
import sys
import time

import click

from pyctl.commands import database_url
from pyctl.output import echo_data, format_option
from pyctl.seed import BATCH_SIZE, DEFAULT_SEED, MAX_SEED, WORKERS, prefix, seed, seeded_companies


class _Progress:
    """A click progress bar on a terminal, else one line per batch (stderr)."""

    def __init__(self, total: int):
        self.total = total
        self.done = 0
        self.t0 = time.perf_counter()
        self.bar = None
        if sys.stderr.isatty():
            self.bar = click.progressbar(length=total, label="seeding companies", file=sys.stderr,
                                         show_pos=True, show_percent=True, show_eta=True)
            self.bar.__enter__()

    def __call__(self, n: int) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
            if self.done >= self.total:
                self.close()
        else:
            click.echo(f"seed: {self.done:,}/{self.total:,} companies ({100 * self.done // self.total}%),"
                       f" {time.perf_counter() - self.t0:.1f}s", err=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@click.command("seed")
@click.option("--companies", "-n", type=click.IntRange(min=1), required=True,
              help="how many companies to create (exactly this many, in CL and the spine)")
@click.option("--seed", "seed_value", type=click.IntRange(0, MAX_SEED), default=DEFAULT_SEED, show_default=True,
              help="random seed: the same seed gives the same data")
@click.option("--ensure", is_flag=True,
              help="make sure N companies of this seed exist: create only the missing ones (none when they are "
                   "all there, so a second run changes nothing)")
@click.option("--batch-size", type=click.IntRange(min=1000), default=BATCH_SIZE, show_default=True,
              help="companies per transaction")
@click.option("--workers", type=click.IntRange(1, 8), default=WORKERS, show_default=True,
              help="parallel connections loading batches")
@format_option()
def command(companies, seed_value, ensure, batch_size, workers, fmt):
    """Create N realistic synthetic companies: CL identities (a few percent
    INELIGIBLE), spine, targets, sub-hub rows, hub statuses over every tier,
    BIT signals of the last 180 days, a few overrides, errors in every
    disposition, campaigns, gate checks and sends. Set-based and fast
    (1,000,000 companies in about two minutes); reproducible with --seed.
    Without --ensure, a second run adds N more."""
    dsn = database_url()
    if ensure:
        have = seeded_companies(dsn, seed_value)
        if have >= companies:
            echo_data(fmt, {"companies": 0, "seed": seed_value, "existing": have},
                      [f"already seeded: {have:,} companies of seed {seed_value} ({prefix(seed_value)}...) exist;"
                       " nothing added"])
            return
        companies -= have
    progress = _Progress(companies)
    try:
        result = seed(dsn, companies, seed_value, batch_size=batch_size, workers=workers,
                      echo=lambda line: click.echo(line, err=True), progress=progress)
    finally:
        progress.close()
    lines = [f"seeded {result.companies:,} companies (seed {result.seed},"
             f" S{result.seed}-{result.first_index:08d} .. S{result.seed}-{result.last_index:08d})"
             f" in {result.seconds:.1f}s"]
    if result.cpu_seconds is not None:
        lines.append(f"  server CPU {result.cpu_seconds:.1f}s in this run's backends"
                     f" (about {result.cpu_seconds / 2:.0f}s of wall time on two otherwise idle cores)")
    lines += [f"  {name:<62} {secs:7.1f}s" for name, secs in result.phases.items()]
    lines += [f"  {name:<62} {value:>10,}" for name, value in result.figures.items()]
    echo_data(fmt, {"companies": result.companies, "seed": result.seed, "first_index": result.first_index,
                    "last_index": result.last_index, "seconds": round(result.seconds, 2),
                    "cpu_seconds": result.cpu_seconds, "phases": result.phases, "figures": result.figures}, lines)
