"""The core of dms: tenants, users, records, registers, audit, jobs, and the ports with their adapters."""
