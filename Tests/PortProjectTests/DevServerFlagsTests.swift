import Testing
@testable import PortProject

/// The dev-server port flags, tool by tool: added when the command names
/// no port, never when it does, never to a command the shell would read as
/// more than one plain command.
@Suite("dev servers: the port flag")
struct DevServerFlagsTests {
    func injected(_ command: String) -> String? { DevServerFlags.inject(into: command, port: 5003)?.command }

    @Test("vite, next, astro, ng, react-router, rsbuild, expo: their flag, behind any package runner")
    func frontEnds() {
        #expect(injected("vite") == "vite --port 5003 --strictPort")
        #expect(injected("npx vite dev") == "npx vite dev --port 5003 --strictPort")
        #expect(injected("pnpm exec vite") == "pnpm exec vite --port 5003 --strictPort")
        #expect(injected("./node_modules/.bin/vite preview") == "./node_modules/.bin/vite preview --port 5003 --strictPort")
        #expect(injected("next dev") == "next dev -p 5003")
        #expect(injected("yarn next start") == "yarn next start -p 5003")
        #expect(injected("astro dev") == "astro dev --port 5003")
        #expect(injected("ng serve") == "ng serve --port 5003")
        #expect(injected("react-router dev") == "react-router dev --port 5003")
        #expect(injected("bunx rsbuild dev") == "bunx rsbuild dev --port 5003")
        #expect(injected("npx expo start") == "npx expo start --port 5003")
    }

    @Test("django runserver, flask run (also after --app X), uvicorn, rails server")
    func backEnds() {
        #expect(injected("python3 manage.py runserver") == "python3 manage.py runserver 5003")
        #expect(injected("./manage.py runserver --noreload") == "./manage.py runserver --noreload 5003")
        #expect(injected("flask run") == "flask run --port 5003")
        #expect(injected("python3 -m flask run --debug") == "python3 -m flask run --debug --port 5003")
        // Flask's own options before run, with their values (flask --help).
        #expect(injected("flask --app hello run") == "flask --app hello run --port 5003")
        #expect(injected("flask -A hello --debug run") == "flask -A hello --debug run --port 5003")
        #expect(injected("flask --app=hello run") == "flask --app=hello run --port 5003")
        #expect(injected("flask --env-file dev.env --app hello run --reload") == "flask --env-file dev.env --app hello run --reload --port 5003")
        #expect(injected("flask --app hello routes") == nil)
        #expect(injected("flask --app hello run -p 8000") == nil)
        #expect(injected("uvicorn app:app --reload") == "uvicorn app:app --reload --port 5003")
        #expect(injected("bundle exec rails server") == "bundle exec rails server -p 5003")
        #expect(injected("bin/rails s") == "bin/rails s -p 5003")
    }

    @Test("a command that names a port already is left alone")
    func namedPort() {
        #expect(injected("vite --port 4000") == nil)
        #expect(injected("ng serve --port=4200") == nil)
        #expect(injected("next dev -p3000") == nil)
        #expect(injected("next dev -p 3000") == nil)
        #expect(injected("python3 manage.py runserver 8000") == nil)
        #expect(injected("python3 manage.py runserver 0.0.0.0:8000") == nil)
        #expect(injected("flask run -p 5000") == nil)
        #expect(injected("uvicorn app:app --port {port}") == nil)
        #expect(injected("rails server -p $PORT") == nil)
        #expect(injected("uvicorn app:app --uds /tmp/app.sock") == nil)
    }

    @Test("other programs, other subcommands, and shell syntax are left alone")
    func untouched() {
        #expect(injected("python3 -m http.server") == nil)
        #expect(injected("npm run dev") == nil)
        #expect(injected("next build") == nil)
        #expect(injected("rails console") == nil)
        #expect(injected("vite build") == nil)
        #expect(injected("vite && echo done") == nil)
        #expect(injected("cd web; vite") == nil)
        #expect(injected("FOO=1 vite") == nil)
        #expect(injected("vite > log") == nil)
    }

    @Test("run's argv: the same table")
    func argv() {
        #expect(DevServerFlags.flags(for: ["npx", "vite"], port: 5003) == ["--port", "5003", "--strictPort"])
        #expect(DevServerFlags.flags(for: ["flask", "run", "--port", "5000"], port: 5003) == nil)
    }
}
