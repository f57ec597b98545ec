// The lean executable: every verb, without a TOML reader. Where a
// portdash.toml or the user's config.toml must be read, the invocation is
// handed, whole, to `portdash-toml` beside it (TOMLKit brings Foundation and
// ICU, half a millisecond of start-up and 50 MB that `status` does without).
import PortDashCLI
import PortDashCommands

TOMLTwin.executable = "portdash-toml"
PortDash.main()
