#!/usr/bin/python3
# Recomputes every batch hash of a billrun database from its stored rows, as docs/hash.md
# defines them. usage: recompute_hash.py [CONNINFO]   (needs python3-psycopg2)
import hashlib, sys, psycopg2
from datetime import date, datetime, timezone
SECTIONS = """ledger.entries ledger.transfers billing.files billing.reject_rows billing.reject_outcomes
billing.account_versions billing.prices billing.orders billing.usage_lines billing.draws billing.plan_events
billing.order_state billing.balance_state billing.bucket_state billing.allowance_state billing.rated_spans
billing.period_closes billing.invoice_finals billing.adjustment_rows billing.adjustment_notes billing.record_ids
""".split()
def field(v):  # one column as canonical text
    if v is None: return "\\N"
    if isinstance(v, bool): return "t" if v else "f"
    if isinstance(v, int): return str(v)
    if isinstance(v, datetime): return v.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(v, date): return v.isoformat()
    if isinstance(v, list): return "{" + ",".join(map(str, v)) + "}"
    if isinstance(v, memoryview): v = "\\x" + bytes(v).hex()
    return v.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
DIGESTED = ("fps", "entries")  # billing.record_ids' long bytea columns count as their SHA-256
def section(cur, table, batch):  # "<table> <rows> <sha256 of the rows' sorted sha256 digests>"
    cur.execute("SELECT string_agg(CASE WHEN table_name = 'record_ids' AND column_name = ANY(%s) THEN 'sha256(' "
                "|| column_name || ')' ELSE quote_ident(column_name) END, ', ' ORDER BY ordinal_position) FROM "
                "information_schema.columns WHERE table_schema || '.' || table_name = %s AND column_name <> 'batch_id'",
                (list(DIGESTED), table))
    where = "entry_id IN (SELECT entry_id FROM ledger.entries WHERE batch_id = %s)" \
        if table == "ledger.transfers" else "batch_id = %s"
    cur.execute(f"SELECT {cur.fetchone()[0]} FROM {table} WHERE {where}", (batch,))
    rows = sorted(hashlib.sha256(("\t".join(map(field, r)) + "\n").encode()).digest() for r in cur)
    return f"{table} {len(rows)} {hashlib.sha256(b''.join(rows)).hexdigest()}\n"
conn = psycopg2.connect(sys.argv[1] if len(sys.argv) > 1 else ""); conn.set_client_encoding("UTF8")
cur, prev, bad = conn.cursor(), None, 0
cur.execute("SELECT batch_id, kind, extract(epoch FROM as_of)::bigint, period, content_hash, hash FROM ledger.batches "
            "ORDER BY batch_id")
for batch, kind, as_of, period, content, chained in cur.fetchall():
    c = hashlib.sha256((f"billrun-batch-v2\n{batch} {kind} {as_of} {period or '-'}\n"
                        + "".join(section(cur, t, batch) for t in SECTIONS)).encode()).digest()
    h = hashlib.sha256(f"billrun-chain-v2\n{prev.hex() if prev else '-'}\n{c.hex()}\n".encode()).digest()
    bad += c != bytes(content) or h != bytes(chained)
    print(batch, kind, h.hex(), "ok" if c == bytes(content) and h == bytes(chained) else "MISMATCH")
    prev = bytes(chained)
sys.exit(1 if bad else 0)
