"""reason-v2: grouped evaluation, candidates, calibration, abstention and export."""
