"""Everything the kiosk asks of the citizen portal: client, errors, simulator."""
