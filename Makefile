# Install portdash: `make install` (PREFIX defaults to ~/.local; DESTDIR stages'
# for a package), `make uninstall` removes exactly what install put there.
# Completions go where each shell looks for them; where a shell needs one more
# line in its startup file (zsh under a home prefix), install says which.

PREFIX ?= $(HOME)/.local
DESTDIR ?=
SWIFT ?= swift
INSTALL ?= install
STRIP ?= strip

BINDIR := $(PREFIX)/bin
MANDIR := $(PREFIX)/share/man/man1
BASHDIR := $(PREFIX)/share/bash-completion/completions
ZSHDIR := $(PREFIX)/share/zsh/site-functions
# fish reads vendor_completions.d under /usr/local/share and /usr/share, not
# under ~/.local/share: for a home prefix, its own per-user directory.
ifeq ($(PREFIX),$(HOME)/.local)
FISHDIR := $(or $(XDG_CONFIG_HOME),$(HOME)/.config)/fish/completions
else
FISHDIR := $(PREFIX)/share/fish/vendor_completions.d
endif

RELEASE := .build/release
BINARIES := portdash portdash-serve

.PHONY: all build install uninstall completions

all: build

build:
	$(SWIFT) build -c release --product portdash
	$(SWIFT) build -c release --product portdash-serve

# Made by the binary just built (ArgumentParser writes them); each names
# the current project's services for up, env, wait, restart, stop and release.
completions: build
	mkdir -p $(RELEASE)/completions
	$(RELEASE)/portdash --generate-completion-script bash > $(RELEASE)/completions/portdash.bash
	$(RELEASE)/portdash --generate-completion-script zsh > $(RELEASE)/completions/_portdash
	$(RELEASE)/portdash --generate-completion-script fish > $(RELEASE)/completions/portdash.fish

install: build completions
	$(INSTALL) -d "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(MANDIR)" "$(DESTDIR)$(BASHDIR)" "$(DESTDIR)$(ZSHDIR)" "$(DESTDIR)$(FISHDIR)"
	for b in $(BINARIES); do $(INSTALL) -m 755 $(RELEASE)/$$b "$(DESTDIR)$(BINDIR)/$$b" && $(STRIP) "$(DESTDIR)$(BINDIR)/$$b" || exit 1; done
	$(INSTALL) -m 644 man/portdash.1 "$(DESTDIR)$(MANDIR)/portdash.1"
	$(INSTALL) -m 644 $(RELEASE)/completions/portdash.bash "$(DESTDIR)$(BASHDIR)/portdash"
	$(INSTALL) -m 644 $(RELEASE)/completions/_portdash "$(DESTDIR)$(ZSHDIR)/_portdash"
	$(INSTALL) -m 644 $(RELEASE)/completions/portdash.fish "$(DESTDIR)$(FISHDIR)/portdash.fish"
	@echo "installed portdash in $(DESTDIR)$(BINDIR)"
	@if [ -z "$(DESTDIR)" ]; then case ":$$PATH:" in *":$(BINDIR):"*) ;; *) \
	  echo "$(BINDIR) is not on your PATH; add this line to ~/.profile (or ~/.bashrc, ~/.zshrc), then open a new shell:"; \
	  echo "  export PATH=\"$(BINDIR):\$$PATH\"";; esac; fi
	@if [ -z "$(DESTDIR)" ] && [ "$(PREFIX)" = "$(HOME)/.local" ]; then \
	  echo "zsh: for completion, put this line before compinit in ~/.zshrc:  fpath+=($(ZSHDIR))"; fi
	@echo "URLs without a port (serve on 443 and 80, docs/names.md), once per install:"
	@echo "  sudo setcap cap_net_bind_service=+ep $(BINDIR)/portdash-serve"

uninstall:
	for b in $(BINARIES); do rm -f "$(DESTDIR)$(BINDIR)/$$b"; done
	rm -f "$(DESTDIR)$(MANDIR)/portdash.1" "$(DESTDIR)$(BASHDIR)/portdash" "$(DESTDIR)$(ZSHDIR)/_portdash" "$(DESTDIR)$(FISHDIR)/portdash.fish"
