/// The line that installs a missing tool, for the package manager this
/// machine has (apt, dnf, pacman, zypper), else the three most common.
enum InstallLine {
    static func text(debian: String, fedora: String, arch: String, suse: String? = nil) -> String {
        if Tool.find("apt-get") != nil { return "sudo apt-get install \(debian)" }
        if Tool.find("dnf") != nil { return "sudo dnf install \(fedora)" }
        if Tool.find("pacman") != nil { return "sudo pacman -S \(arch)" }
        if Tool.find("zypper") != nil { return "sudo zypper install \(suse ?? fedora)" }
        return "install \(debian) (Debian/Ubuntu), \(fedora) (Fedora) or \(arch) (Arch)"
    }

    /// certutil and tstclnt.
    static var nssTools: String { text(debian: "libnss3-tools", fedora: "nss-tools", arch: "nss", suse: "mozilla-nss-tools") }
}
