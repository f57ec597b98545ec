# Install portdash: `make install` (PREFIX defaults to ~/.local; DESTDIR stages
# for a package), `make uninstall` removes exactly what install put there.
# Completions go where each shell looks for them; where a shell needs one more
# line in its startup file (zsh under a home prefix), or a package (bash
# without bash-completion), install says which.

PREFIX ?= $(HOME)/.local
DESTDIR ?=
SWIFT ?= swift
INSTALL ?= install
STRIP ?= strip
# bash-completion's loader: where it is missing, bash reads no completion file.
BASH_COMPLETION ?= /usr/share/bash-completion/bash_completion

BINDIR := $(PREFIX)/bin
MANDIR := $(PREFIX)/share/man/man1
# A home prefix puts completions in the user's own directories, as each shell
# reads them: bash-completion reads ${BASH_COMPLETION_USER_DIR:-${XDG_DATA_HOME:-~/.local/share}/bash-completion}/completions;
# zsh has no directory of its own for a user (install prints the fpath line),
# so its file goes beside bash's under ${XDG_DATA_HOME:-~/.local/share}; fish
# reads ${XDG_CONFIG_HOME:-~/.config}/fish/completions (its vendor_completions.d
# only under /usr/local/share and /usr/share). Another PREFIX: its share/.
ifeq ($(PREFIX),$(HOME)/.local)
DATAHOME := $(or $(XDG_DATA_HOME),$(HOME)/.local/share)
BASHDIR := $(or $(BASH_COMPLETION_USER_DIR),$(DATAHOME)/bash-completion)/completions
ZSHDIR := $(DATAHOME)/zsh/site-functions
FISHDIR := $(or $(XDG_CONFIG_HOME),$(HOME)/.config)/fish/completions
else
BASHDIR := $(PREFIX)/share/bash-completion/completions
ZSHDIR := $(PREFIX)/share/zsh/site-functions
FISHDIR := $(PREFIX)/share/fish/vendor_completions.d
endif

RELEASE ?= .build/release
COMPLETIONS ?= $(RELEASE)/completions
BINARIES := portdash portdash-serve

.PHONY: all build install uninstall completions

all: build

build:
	$(SWIFT) build -c release --product portdash
	$(SWIFT) build -c release --product portdash-serve

# Made by the binary just built (ArgumentParser writes them); each names
# the current project's services for up, env, wait, restart, stop and release.
completions: build
	mkdir -p $(COMPLETIONS)
	$(RELEASE)/portdash --generate-completion-script bash > $(COMPLETIONS)/portdash.bash
	$(RELEASE)/portdash --generate-completion-script zsh > $(COMPLETIONS)/_portdash
	$(RELEASE)/portdash --generate-completion-script fish > $(COMPLETIONS)/portdash.fish

install: build completions
	$(INSTALL) -d "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(MANDIR)" "$(DESTDIR)$(BASHDIR)" "$(DESTDIR)$(ZSHDIR)" "$(DESTDIR)$(FISHDIR)"
	for b in $(BINARIES); do $(INSTALL) -m 755 $(RELEASE)/$$b "$(DESTDIR)$(BINDIR)/$$b" && $(STRIP) "$(DESTDIR)$(BINDIR)/$$b" || exit 1; done
	$(INSTALL) -m 644 man/portdash.1 "$(DESTDIR)$(MANDIR)/portdash.1"
	$(INSTALL) -m 644 $(COMPLETIONS)/portdash.bash "$(DESTDIR)$(BASHDIR)/portdash"
	$(INSTALL) -m 644 $(COMPLETIONS)/_portdash "$(DESTDIR)$(ZSHDIR)/_portdash"
	$(INSTALL) -m 644 $(COMPLETIONS)/portdash.fish "$(DESTDIR)$(FISHDIR)/portdash.fish"
	@echo "installed portdash in $(DESTDIR)$(BINDIR)"
	@if [ -z "$(DESTDIR)" ]; then case ":$$PATH:" in *":$(BINDIR):"*) ;; *) \
	  echo "$(BINDIR) is not on your PATH; add this line to ~/.profile (or ~/.bashrc, ~/.zshrc), then open a new shell:"; \
	  echo "  export PATH=\"$(BINDIR):\$$PATH\"";; esac; fi
	@if [ -z "$(DESTDIR)" ] && [ "$(PREFIX)" = "$(HOME)/.local" ]; then \
	  echo "zsh: for completion, put this line before compinit in ~/.zshrc:  fpath+=($(ZSHDIR))"; fi
	@if [ -z "$(DESTDIR)" ] && [ ! -r "$(BASH_COMPLETION)" ]; then \
	  echo "bash: completion needs the bash-completion package, which is not installed here: sudo apt-get install bash-completion (dnf or pacman elsewhere), then open a new shell"; fi
	@echo "URLs without a port (serve on 443 and 80, docs/names.md), once per install:"
	@echo "  sudo setcap cap_net_bind_service=+ep $(BINDIR)/portdash-serve"

uninstall:
	for b in $(BINARIES); do rm -f "$(DESTDIR)$(BINDIR)/$$b"; done
	rm -f "$(DESTDIR)$(MANDIR)/portdash.1" "$(DESTDIR)$(BASHDIR)/portdash" "$(DESTDIR)$(ZSHDIR)/_portdash" "$(DESTDIR)$(FISHDIR)/portdash.fish"
