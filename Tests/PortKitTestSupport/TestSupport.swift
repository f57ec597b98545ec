import PortKit
