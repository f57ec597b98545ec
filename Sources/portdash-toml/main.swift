// `portdash` with TOMLKit: what the lean binary hands an invocation to when
// a portdash.toml or the user's config.toml has to be read.
import PortDashCommands
import PortProjectTOML

TOMLKitParser.install()
PortDash.main()
