-- The heartbeat read replicas are measured by: while replicas are configured
-- every instance writes the time here on the primary each second, and a
-- replica's lag is the age of the value it holds (service/replicas.go).
CREATE TABLE replica_heartbeat (
  id INT NOT NULL PRIMARY KEY,
  beat_at {{datetime}} NOT NULL
) {{opts}};
INSERT INTO replica_heartbeat (id, beat_at) VALUES (1, '2000-01-01 00:00:00');
