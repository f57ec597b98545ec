/// What `portdash --help` prints after ArgumentParser's usage, options and
/// subcommands: a few examples, the settings and environment, the exit codes.
/// The man page (man/portdash.1) says the same in its own sections.
enum HelpEpilogue {
    static let text = """
        EXAMPLES:
          portdash status 3000                  who holds port 3000 (any port)
          portdash kill 3000 --dry-run          what would be signalled
          PORT=$(portdash lease web) && flask run --port "$PORT"
          portdash run api -- python3 -m http.server {port}
          portdash up                           a project's services on leased ports
          portdash status --json | jq '.ports[] | select(.state != "free")'

        SETTINGS, highest first: flags; the environment; the project's portdash.toml
          ([pool] range); $XDG_CONFIG_HOME/portdash/config.toml ([pool] range,
          [dashboard] interval); built-in. portdash config shows where each came from.

        ENVIRONMENT:
          PORTDASH_RANGE          the pool (default 5000-5010)
          PORTDASH_STATE          the state file (default $XDG_STATE_HOME/portdash/leases.json)
          PORTDASH_INTERVAL       the dashboard's seconds between scans
          PORTDASH_LOCK_TIMEOUT   seconds to wait for the state lock (default 10)
          PORTDASH_SUPERVISION    how up and run keep services: auto, cgroup, pidfd
          PORTDASH_ROUTER_PORT    the port URLs name (plain HTTP), whatever runs; unset: the
                                  running portdash serve's, else http://127.0.0.1:PORT/
          PORTDASH_SERVE_THREADS  serve's event loop threads (1 to 16)
          XDG_STATE_HOME, XDG_CONFIG_HOME, XDG_DATA_HOME (the local CA), NO_COLOR, COLUMNS

        EXIT CODES:
          0   success                     1   other failure
          64  usage error                 65  bad state file, /proc data, project file or config
          66  no such lease, no project,  69  pool exhausted, request refused, port still held
              no local CA yet                 after kill, service never ready, wait timed out,
                                              trust --check: a store does not trust the CA
          71  system error                73  state file (or --dotenv file) not writable
          75  state lock timeout          77  not permitted (kill refused, unsafe directory or file)
          up and run: the status of the service or command that ended; 128+N after signal N.
        """
}
