// The one portdash executable: every verb, the TOML reader linked in.
import PortDashCommands

PortDash.main()
