// The screens RenderTests expects, one per run state and size. Generated with
// `NETTRIAGE_RECORD_SCREENS=1 swift test --filter RenderTests`, then reviewed by a person: the diff of this
// file is the review of a screen change.

enum ExpectedScreens {
  static let all: [String: String] = [
    "healthy-80x24": ##"""
     nettriage  Target 198.18.2.10:443 (tcp)                        done in 3.95 ms
     address 198.18.2.10 (numeric) · from 198.18.1.10 · via eth0  root, CAP_NET_RAW
    ┌─ Checklist ────────────────┐┌─ 6 Destination ────────────────────────────────┐
    │ ✔ Path picture    0.780 ms ││ ✔ pass in 1.50 ms                              │
    │ – Networking trace    skip ││ tcp port 443 answered in 0.388 ms              │
    │ ✔ Local stack      1.92 ms ││                                                │
    │ – Neighbours          skip ││ ping: 3 of 3 replies                           │
    │ ✔ Default gateway  1.49 ms ││ Latency ▇▇█  3 probes, 0.0% loss               │
    │▸✔ Destination      1.50 ms ││   min/avg/p95/max 0.388/0.418/0.451/0.455 ms,  │
    │ – Socket state        skip ││ … 12 more lines: Enter shows all               │
    └────────────────────────────┘└────────────────────────────────────────────────┘
    ┌─ Diagnosis ──────────────────────────────────────────────────────────────────┐
    │ ✔ reachable  The connection works                                            │
    │ 198.18.2.10:443 completed the TCP handshake                                  │
    │ Evidence: tcp 198.18.2.10:443: connected in 0.412 ms  from 198.18.1.10:4100… │
    │ Next                                                                         │
    │  1. Test exactly what the application uses: the name and port from its conf… │
    │  2. For a web service, look at the HTTP answer (and, over https, the TLS ha… │
    │     $ curl -v https://198.18.2.10/                                           │
    │  3. Check whether the application goes through a proxy.                      │
    │ … 5 more lines: d shows the verdict in full                                  │
    └──────────────────────────────────────────────────────────────────────────────┘

     ⏎ detail  d verdict  r re-run  R all  l loop  n target  ? keys  q quit
    """##,
    "refused-80x24": ##"""
     nettriage  Target 198.18.2.10:8080 (tcp)                       done in 3.76 ms
     address 198.18.2.10 (numeric) · from 198.18.1.10 · via eth0  root, CAP_NET_RAW
    ┌─ Checklist ────────────────┐┌─ 6 Destination ────────────────────────────────┐
    │ ✔ Path picture    0.780 ms ││ ✖ fail in 1.30 ms                              │
    │ – Networking trace    skip ││ tcp port 8080: refused                         │
    │ ✔ Local stack      1.92 ms ││                                                │
    │ – Neighbours          skip ││ ping: 3 of 3 replies                           │
    │ ✔ Default gateway  1.49 ms ││ Handshake (read from the socket's outcome)     │
    │▸✖ Destination      1.30 ms ││   SYN     ─────────────▶  to 198.18.2.10:8080  │
    │ – Socket state        skip ││ … 11 more lines: Enter shows all               │
    └────────────────────────────┘└────────────────────────────────────────────────┘
    ┌─ Diagnosis ──────────────────────────────────────────────────────────────────┐
    │ ✖ port-closed  Nothing is listening on the port                              │
    │ 198.18.2.10 answered the SYN with RST: nothing listens on port 8080          │
    │ Evidence: tcp 198.18.2.10:8080: refused after 0.402 ms: ECONNREFUSED (111) … │
    │ Fix                                                                          │
    │  1. On the server: see whether anything listens on the port, and on which a… │
    │     $ ss -ltnp 'sport = :8080'                                               │
    │  2. On the server: start the service and read why it stopped.                │
    │     $ systemctl status <service>; journalctl -u <service> -n 50 --no-pager   │
    │ … 5 more lines: d shows the verdict in full                                  │
    └──────────────────────────────────────────────────────────────────────────────┘

     ⏎ detail  d verdict  r re-run  R all  l loop  n target  ? keys  q quit
    """##,
    "filtered-trace-80x24": ##"""
     nettriage  Target 198.18.2.10:8443 (tcp)                         done in 3.0 s
     address 198.18.2.10 (numeric) · from 198.18.1.10 · via eth0  root, CAP_NET_RAW
    ┌─ Checklist ────────────────┐┌─ 2 Networking trace ───────────────────────────┐
    │ ✔ Path picture       2.1 s ││ ! warn in 3.0 s                                │
    │▸! Networking trace   3.0 s ││ 3 SYNs left on eth0, nothing came back         │
    │ ✔ Local stack      1.92 ms ││                                                │
    │ – Neighbours          skip ││ the destination is 2 hop(s) away               │
    │ ✔ Default gateway  1.49 ms ││ Packets (captured)                             │
    │ ✖ Destination        3.0 s ││ tcp 198.18.1.10:41022 -> 198.18.2.10:8443: 3 … │
    │ – Socket state        skip ││ … 14 more lines: Enter shows all               │
    └────────────────────────────┘└────────────────────────────────────────────────┘
    ┌─ Diagnosis ──────────────────────────────────────────────────────────────────┐
    │ ✖ port-filtered  The port is filtered: SYNs are silently dropped             │
    │ 198.18.2.10 is up but never answered the SYN to port 8443: a firewall drops  │
    │ it silently                                                                  │
    │ Evidence: tcp 198.18.2.10:8443: timed out after 3000.412 ms (no answer) (+2) │
    │ Fix                                                                          │
    │  1. On the server, capture while the client connects: SYNs arriving with no… │
    │     $ tcpdump -ni any 'tcp port 8443 and tcp[tcpflags] & tcp-syn != 0'       │
    │  2. On the server: list the firewall rules that match the port.              │
    │ … 4 more lines: d shows the verdict in full                                  │
    └──────────────────────────────────────────────────────────────────────────────┘

     ⏎ detail  d verdict  r re-run  R all  l loop  n target  ? keys  q quit
    """##,
    "dns-failure-80x24": ##"""
     nettriage  Target intranet.example:443 (tcp)                   done in 4.93 ms
     intranet.example → nxdomain                                  root, CAP_NET_RAW
    ┌─ Checklist ────────────────┐┌─ 6 Destination ────────────────────────────────┐
    │ – Path picture        skip ││ ✖ fail in 4.87 ms                              │
    │ – Networking trace    skip ││ the name did not resolve: nothing to connect   │
    │ ✔ Local stack      1.87 ms ││ to                                             │
    │ – Neighbours          skip ││                                                │
    │ – Default gateway     skip ││ DNS: nxdomain in 4.76 ms                       │
    │▸✖ Destination      4.87 ms ││ Probes                                         │
    │ – Socket state        skip ││ … 2 more lines: Enter shows all                │
    └────────────────────────────┘└────────────────────────────────────────────────┘
    ┌─ Diagnosis ──────────────────────────────────────────────────────────────────┐
    │ ✖ dns-nxdomain  The name does not exist                                      │
    │ the name does not exist (NXDOMAIN) after 4.756 ms                            │
    │ Evidence: resolver: no such name                                             │
    │ Fix                                                                          │
    │  1. Ask the resolver the system uses, and see which server answered.         │
    │     $ resolvectl query intranet.example                                      │
    │  2. Ask the configured server directly.                                      │
    │     $ dig @<dns_server> intranet.example                                     │
    │ … 4 more lines: d shows the verdict in full                                  │
    └──────────────────────────────────────────────────────────────────────────────┘

     ⏎ detail  d verdict  r re-run  R all  l loop  n target  ? keys  q quit
    """##,
    "loop-80x24": ##"""
     nettriage  Target 198.18.2.10:443 (tcp)                        done in 3.95 ms
     address 198.18.2.10 (numeric) · from 198.18.1.10 · via eth0  root, CAP_NET_RAW
    ┌─ Loop tcp 198.18.2.10:443 every 1.0 s  ⠸ ────────────────────────────────────┐
    │ Last 12  ▂▂▃▂▅▂×▂▂▂█▂                                                        │
    │ Window 12 sent, 11 answered, 8.3% loss; min/avg/p95/max                      │
    │        0.388/0.633/1.630/2.050 ms, jitter 0.514 ms                           │
    │ Total  12 sent, 11 answered, 8.3% loss; min/avg/max 0.388/0.633/2.050 ms,    │
    │        jitter 0.514 ms                                                       │
    │        not answered: timed-out 1                                             │
    │                                                                              │
    │ Latency histogram (window)                                                   │
    │   0.388–0.942 ms ██████████████████████████████████████████████████ 9        │
    │   0.942–1.496 ms █████ 1                                                     │
    │   1.496–2.050 ms █████ 1                                                     │
    │                                                                              │
    │ Latest                                                                       │
    │     12  connected in 0.405 ms  from 198.18.1.10:42022                        │
    │     11  connected in 2.050 ms  from 198.18.1.10:42020                        │
    │     10  connected in 0.398 ms  from 198.18.1.10:42018                        │
    │      9  connected in 0.433 ms  from 198.18.1.10:42016                        │
    │      8  connected in 0.420 ms  from 198.18.1.10:42014                        │
    └──────────────────────────────────────────────────────────────────────────────┘

     Space pause  l stop  c clear  ? keys  q back
    """##,
    "trainee-80x24": ##"""
     nettriage  Target 198.18.2.10:8080 (tcp)  trainee mode         done in 3.76 ms
     address 198.18.2.10 (numeric) · from 198.18.1.10 · via eth0  root, CAP_NET_RAW
    ┌─ Checklist ────────────────┐┌─ Trainee: step 6 of 7, Destination ────────────┐
    │ ✔ Path picture    0.780 ms ││ ⏎ Press Enter for the next step.               │
    │ – Networking trace    skip ││ Result                                         │
    │ ✔ Local stack      1.92 ms ││   ✖ fail in 1.30 ms                            │
    │ – Neighbours          skip ││   tcp port 8080: refused                       │
    │ ✔ Default gateway  1.49 ms ││                                                │
    │▸✖ Destination      1.30 ms ││   ping: 3 of 3 replies                         │
    │ – Socket state        skip ││   Handshake (read from the socket's outcome)   │
    │                            ││     SYN     ───────────▶  to 198.18.2.10:8080  │
    │ verdict port-closed        ││             ◀─────────── RST  0.402 ms         │
    │                            ││   Probes                                       │
    │                            ││     tcp 198.18.2.10:8080: refused after 0.402  │
    │                            ││         ms: ECONNREFUSED (111) Connection      │
    │                            ││         refused                                │
    │                            ││     tcp 198.18.2.10:8080: refused after 0.377  │
    │                            ││         ms: ECONNREFUSED (111) Connection      │
    │                            ││         refused                                │
    │                            ││     tcp 198.18.2.10:8080: refused after 0.391  │
    │ ✔ pass ! warn ✖ fail – skip││         ms: ECONNREFUSED (111) Connection      │
    └────────────────────────────┘└────────────────────────────────── 1-18 of 42 ──┘

     ⏎ go on  R again  n target  / explain  t leave  ? keys  q back
    """##,
    "help-80x24": ##"""
     nettriage  Target 198.18.2.10:443 (tcp)                        done in 3.95 ms
     address 198.18.2.10 (numeric) · from 198.18.1.10 · via eth0  root, CAP_NET_RAW
    ┌─ Keys: Checklist  (? or Esc closes) ─────────────────────────────────────────┐
    │   ↑/k    select the step above                                               │
    │   ↓/j    select the step below                                               │
    │   Home   select the first step                                               │
    │   End    select the last step                                                │
    │   ⏎      open the selected step's detail                                     │
    │   d      the verdict in full: causes, evidence, every fix                    │
    │   r      re-run the selected step                                            │
    │   R      re-run the whole checklist                                          │
    │   l      loop the selected step's probe with live statistics                 │
    │   Space  pause or resume updates on screen                                   │
    │   n      new target (with history)                                           │
    │   /      look up an error code or message                                    │
    │   t      trainee mode: a guided walkthrough                                  │
    │   e      export Markdown and JSON reports                                    │
    │   ?      this list of keys                                                   │
    │   q/Esc  quit (the terminal is restored)                                     │
    │                                                                              │
    │   Ctrl-C quits from anywhere; the terminal is always restored.               │
    └──────────────────────────────────────────────────────────────────────────────┘

     ? close
    """##,
    "healthy-132x43": ##"""
     nettriage  Target 198.18.2.10:443 (tcp)                                                                            done in 3.95 ms
     address 198.18.2.10 (numeric) · from 198.18.1.10 · via eth0                                                      root, CAP_NET_RAW
    ┌─ Checklist ───────────────────────────────────┐┌─ 6 Destination ─────────────────────────────────────────────────────────────────┐
    │ ✔ Path picture     198.18.2.10 via … 0.780 ms ││ ✔ pass in 1.50 ms                                                               │
    │ – Networking trace skipped: packet capt… skip ││ tcp port 443 answered in 0.388 ms                                               │
    │ ✔ Local stack      loopback answers;… 1.92 ms ││                                                                                 │
    │ – Neighbours       skipped: the target … skip ││ ping: 3 of 3 replies                                                            │
    │ ✔ Default gateway  198.18.1.1 REACHA… 1.49 ms ││ Latency ▇▇█  3 probes, 0.0% loss                                                │
    │▸✔ Destination      tcp port 443 answ… 1.50 ms ││   min/avg/p95/max 0.388/0.418/0.451/0.455 ms, jitter 0.046 ms                   │
    │ – Socket state     skipped: the listene… skip ││ Handshake (read from the socket's outcome)                                      │
    │                                               ││   SYN     ─────────────────────────────▶  to 198.18.2.10:443                    │
    │ verdict reachable                             ││           ◀───────────────────────────── SYN-ACK  0.412 ms                      │
    │                                               ││   ACK     ─────────────────────────────▶  handshake complete                    │
    │                                               ││ Probes                                                                          │
    │                                               ││   tcp 198.18.2.10:443: connected in 0.412 ms from 198.18.1.10:41000             │
    │                                               ││   tcp 198.18.2.10:443: connected in 0.388 ms from 198.18.1.10:41014             │
    │                                               ││   tcp 198.18.2.10:443: connected in 0.455 ms from 198.18.1.10:41028             │
    │                                               ││                                                                                 │
    │                                               ││                                                                                 │
    │                                               ││                                                                                 │
    │                                               ││                                                                                 │
    │                                               ││                                                                                 │
    │ ✔ pass ! warn ✖ fail – skip  · pending        ││                                                                                 │
    └───────────────────────────────────────────────┘└─────────────────────────────────────────────────────────────────────────────────┘
    ┌─ Diagnosis ──────────────────────────────────────────────────────────────────────────────────────────────────────────────────────┐
    │ ✔ reachable  The connection works                                                                                                │
    │ 198.18.2.10:443 completed the TCP handshake                                                                                      │
    │ Evidence: tcp 198.18.2.10:443: connected in 0.412 ms  from 198.18.1.10:41000 (+2)                                                │
    │ Next                                                                                                                             │
    │  1. Test exactly what the application uses: the name and port from its configuration, from the same machine and user.            │
    │  2. For a web service, look at the HTTP answer (and, over https, the TLS handshake).                                             │
    │     $ curl -v https://198.18.2.10/                                                                                               │
    │  3. Check whether the application goes through a proxy.                                                                          │
    │     $ env | grep -i _proxy                                                                                                       │
    │  4. If the failure comes and goes, repeat the probe and watch loss and latency.                                                  │
    │     $ nettriage probe tcp 198.18.2.10 443 -n 100                                                                                 │
    │  5. If transfers start and then hang, look for connections whose queues do not drain, here and on the server.                    │
    │     $ nettriage probe sockets --stalled -i 5 --port 443                                                                          │
    │                                                                                                                                  │
    │                                                                                                                                  │
    └──────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────┘

     ⏎ detail  d verdict  r re-run  R all  l loop  n target  / explain  t trainee  e export  ? keys  q quit
    """##,
    "refused-132x43": ##"""
     nettriage  Target 198.18.2.10:8080 (tcp)                                                                           done in 3.76 ms
     address 198.18.2.10 (numeric) · from 198.18.1.10 · via eth0                                                      root, CAP_NET_RAW
    ┌─ Checklist ───────────────────────────────────┐┌─ 6 Destination ─────────────────────────────────────────────────────────────────┐
    │ ✔ Path picture     198.18.2.10 via … 0.780 ms ││ ✖ fail in 1.30 ms                                                               │
    │ – Networking trace skipped: packet capt… skip ││ tcp port 8080: refused                                                          │
    │ ✔ Local stack      loopback answers;… 1.92 ms ││                                                                                 │
    │ – Neighbours       skipped: the target … skip ││ ping: 3 of 3 replies                                                            │
    │ ✔ Default gateway  198.18.1.1 REACHA… 1.49 ms ││ Handshake (read from the socket's outcome)                                      │
    │▸✖ Destination      tcp port 8080: re… 1.30 ms ││   SYN     ─────────────────────────────▶  to 198.18.2.10:8080                   │
    │ – Socket state     skipped: the listene… skip ││           ◀───────────────────────────── RST  0.402 ms                          │
    │                                               ││ Probes                                                                          │
    │ verdict port-closed                           ││   tcp 198.18.2.10:8080: refused after 0.402 ms: ECONNREFUSED (111) Connection   │
    │                                               ││       refused                                                                   │
    │                                               ││   tcp 198.18.2.10:8080: refused after 0.377 ms: ECONNREFUSED (111) Connection   │
    │                                               ││       refused                                                                   │
    │                                               ││   tcp 198.18.2.10:8080: refused after 0.391 ms: ECONNREFUSED (111) Connection   │
    │                                               ││       refused                                                                   │
    │                                               ││                                                                                 │
    │                                               ││                                                                                 │
    │                                               ││                                                                                 │
    │                                               ││                                                                                 │
    │                                               ││                                                                                 │
    │ ✔ pass ! warn ✖ fail – skip  · pending        ││                                                                                 │
    └───────────────────────────────────────────────┘└─────────────────────────────────────────────────────────────────────────────────┘
    ┌─ Diagnosis ──────────────────────────────────────────────────────────────────────────────────────────────────────────────────────┐
    │ ✖ port-closed  Nothing is listening on the port                                                                                  │
    │ 198.18.2.10 answered the SYN with RST: nothing listens on port 8080                                                              │
    │ Evidence: tcp 198.18.2.10:8080: refused after 0.402 ms: ECONNREFUSED (111) Connection refused (+2)                               │
    │ Fix                                                                                                                              │
    │  1. On the server: see whether anything listens on the port, and on which address.                                               │
    │     $ ss -ltnp 'sport = :8080'                                                                                                   │
    │  2. On the server: start the service and read why it stopped.                                                                    │
    │     $ systemctl status <service>; journalctl -u <service> -n 50 --no-pager                                                       │
    │  3. If it listens only on 127.0.0.1 or ::1, set its listen address to the server's address (or 0.0.0.0 / ::) and restart it.     │
    │  4. For a container: check the published ports.                                                                                  │
    │     $ docker ps                                                                                                                  │
    │  5. From the client: confirm once the service is back.                                                                           │
    │     $ nc -vz -w 3 198.18.2.10 8080                                                                                               │
    │                                                                                                                                  │
    │                                                                                                                                  │
    └──────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────┘

     ⏎ detail  d verdict  r re-run  R all  l loop  n target  / explain  t trainee  e export  ? keys  q quit
    """##,
    "filtered-trace-132x43": ##"""
     nettriage  Target 198.18.2.10:8443 (tcp)                                                                             done in 3.0 s
     address 198.18.2.10 (numeric) · from 198.18.1.10 · via eth0                                                      root, CAP_NET_RAW
    ┌─ Checklist ───────────────────────────────────┐┌─ 2 Networking trace ────────────────────────────────────────────────────────────┐
    │ ✔ Path picture     198.18.2.10 via 198… 2.1 s ││ ! warn in 3.0 s                                                                 │
    │▸! Networking trace 3 SYNs left on eth0… 3.0 s ││ 3 SYNs left on eth0, nothing came back                                          │
    │ ✔ Local stack      loopback answers;… 1.92 ms ││                                                                                 │
    │ – Neighbours       skipped: the target … skip ││ the destination is 2 hop(s) away                                                │
    │ ✔ Default gateway  198.18.1.1 REACHA… 1.49 ms ││ Packets (captured)                                                              │
    │ ✖ Destination      tcp port 8443: time… 3.0 s ││ tcp 198.18.1.10:41022 -> 198.18.2.10:8443: 3 packets on eth0                    │
    │ – Socket state     skipped: the listene… skip ││       ms  client 198.18.1.10:41022                      server 198.18.2.10:8443 │
    │                                               ││    0.000  |------------------------- SYN  mss 1460 -------------------------->| │
    │ verdict port-filtered                         ││ 1011.000  |------------------- SYN (retransmit 1, +1.0 s) ------------------->| │
    │                                               ││ 2034.000  |------------------- SYN (retransmit 2, +1.0 s) ------------------->| │
    │                                               ││ Probes                                                                          │
    │                                               ││   0.000 s 198.18.1.10:41022 > 198.18.2.10:8443 SYN                              │
    │                                               ││   1.011 s 198.18.1.10:41022 > 198.18.2.10:8443 SYN (retransmit)                 │
    │                                               ││   2.034 s 198.18.1.10:41022 > 198.18.2.10:8443 SYN (retransmit)                 │
    │                                               ││   no SYN-ACK, RST or ICMP error for this flow                                   │
    │                                               ││   198.18.2.10 answers ping with TTL 63 (2 hops) and port 443 with SYN-ACK       │
    │                                               ││                                                                                 │
    │                                               ││                                                                                 │
    │                                               ││                                                                                 │
    │ ✔ pass ! warn ✖ fail – skip  · pending        ││                                                                                 │
    └───────────────────────────────────────────────┘└─────────────────────────────────────────────────────────────────────────────────┘
    ┌─ Diagnosis ──────────────────────────────────────────────────────────────────────────────────────────────────────────────────────┐
    │ ✖ port-filtered  The port is filtered: SYNs are silently dropped                                                                 │
    │ 198.18.2.10 is up but never answered the SYN to port 8443: a firewall drops it silently                                          │
    │ Evidence: tcp 198.18.2.10:8443: timed out after 3000.412 ms (no answer) (+2)                                                     │
    │ Fix                                                                                                                              │
    │  1. On the server, capture while the client connects: SYNs arriving with no SYN-ACK leaving means the host's own firewall drops… │
    │     $ tcpdump -ni any 'tcp port 8443 and tcp[tcpflags] & tcp-syn != 0'                                                           │
    │  2. On the server: list the firewall rules that match the port.                                                                  │
    │     $ nft list ruleset                                                                                                           │
    │  3. If no SYN reaches the server, find the last hop a SYN to the port passes; the device after it drops it.                      │
    │     $ traceroute -n -T -p 8443 198.18.2.10                                                                                       │
    │  4. In a cloud, check the security group and network ACL for port 8443 from this source (198.18.1.10, or its NAT address).       │
    │                                                                                                                                  │
    │                                                                                                                                  │
    │                                                                                                                                  │
    │                                                                                                                                  │
    └──────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────┘

     ⏎ detail  d verdict  r re-run  R all  l loop  n target  / explain  t trainee  e export  ? keys  q quit
    """##,
    "dns-failure-132x43": ##"""
     nettriage  Target intranet.example:443 (tcp)                                                                       done in 4.93 ms
     intranet.example → nxdomain                                                                                      root, CAP_NET_RAW
    ┌─ Checklist ───────────────────────────────────┐┌─ 6 Destination ─────────────────────────────────────────────────────────────────┐
    │ – Path picture     skipped: the name di… skip ││ ✖ fail in 4.87 ms                                                               │
    │ – Networking trace skipped: packet capt… skip ││ the name did not resolve: nothing to connect to                                 │
    │ ✔ Local stack      loopback answers;… 1.87 ms ││                                                                                 │
    │ – Neighbours       skipped: no route to… skip ││ DNS: nxdomain in 4.76 ms                                                        │
    │ – Default gateway  skipped: no route to… skip ││ Probes                                                                          │
    │▸✖ Destination      the name did not … 4.87 ms ││   DNS: EAI_NONAME (-2) Name or service not known after 4.756 ms                 │
    │ – Socket state     skipped: the listene… skip ││                                                                                 │
    │                                               ││                                                                                 │
    │ verdict dns-nxdomain                          ││                                                                                 │
    │                                               ││                                                                                 │
    │                                               ││                                                                                 │
    │                                               ││                                                                                 │
    │                                               ││                                                                                 │
    │                                               ││                                                                                 │
    │                                               ││                                                                                 │
    │                                               ││                                                                                 │
    │                                               ││                                                                                 │
    │                                               ││                                                                                 │
    │                                               ││                                                                                 │
    │ ✔ pass ! warn ✖ fail – skip  · pending        ││                                                                                 │
    └───────────────────────────────────────────────┘└─────────────────────────────────────────────────────────────────────────────────┘
    ┌─ Diagnosis ──────────────────────────────────────────────────────────────────────────────────────────────────────────────────────┐
    │ ✖ dns-nxdomain  The name does not exist                                                                                          │
    │ the name does not exist (NXDOMAIN) after 4.756 ms                                                                                │
    │ Evidence: resolver: no such name                                                                                                 │
    │ Fix                                                                                                                              │
    │  1. Ask the resolver the system uses, and see which server answered.                                                             │
    │     $ resolvectl query intranet.example                                                                                          │
    │  2. Ask the configured server directly.                                                                                          │
    │     $ dig @<dns_server> intranet.example                                                                                         │
    │  3. For a short name: check the search domains.                                                                                  │
    │     $ grep -E '^(search|domain)' /etc/resolv.conf                                                                                │
    │  4. For an internal name: connect the VPN, or check which domains go to which server (split DNS).                                │
    │     $ resolvectl domain                                                                                                          │
    │                                                                                                                                  │
    │                                                                                                                                  │
    │                                                                                                                                  │
    └──────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────┘

     ⏎ detail  d verdict  r re-run  R all  l loop  n target  / explain  t trainee  e export  ? keys  q quit
    """##,
    "loop-132x43": ##"""
     nettriage  Target 198.18.2.10:443 (tcp)                                                                            done in 3.95 ms
     address 198.18.2.10 (numeric) · from 198.18.1.10 · via eth0                                                      root, CAP_NET_RAW
    ┌─ Loop tcp 198.18.2.10:443 every 1.0 s  ⠸ ────────────────────────────────────────────────────────────────────────────────────────┐
    │ Last 12  ▂▂▃▂▅▂×▂▂▂█▂                                                                                                            │
    │ Window 12 sent, 11 answered, 8.3% loss; min/avg/p95/max 0.388/0.633/1.630/2.050 ms, jitter 0.514 ms                              │
    │ Total  12 sent, 11 answered, 8.3% loss; min/avg/max 0.388/0.633/2.050 ms, jitter 0.514 ms                                        │
    │        not answered: timed-out 1                                                                                                 │
    │                                                                                                                                  │
    │ Latency histogram (window)                                                                                                       │
    │   0.388–0.942 ms ██████████████████████████████████████████████████████████████████████████████████████████████████████ 9        │
    │   0.942–1.496 ms ███████████ 1                                                                                                   │
    │   1.496–2.050 ms ███████████ 1                                                                                                   │
    │                                                                                                                                  │
    │ Latest                                                                                                                           │
    │     12  connected in 0.405 ms  from 198.18.1.10:42022                                                                            │
    │     11  connected in 2.050 ms  from 198.18.1.10:42020                                                                            │
    │     10  connected in 0.398 ms  from 198.18.1.10:42018                                                                            │
    │      9  connected in 0.433 ms  from 198.18.1.10:42016                                                                            │
    │      8  connected in 0.420 ms  from 198.18.1.10:42014                                                                            │
    │      7  timed out after 3000.000 ms (no answer)                                                                                  │
    │      6  connected in 0.395 ms  from 198.18.1.10:42010                                                                            │
    │      5  connected in 1.210 ms  from 198.18.1.10:42008                                                                            │
    │      4  connected in 0.401 ms  from 198.18.1.10:42006                                                                            │
    │      3  connected in 0.455 ms  from 198.18.1.10:42004                                                                            │
    │      2  connected in 0.388 ms  from 198.18.1.10:42002                                                                            │
    │      1  connected in 0.412 ms  from 198.18.1.10:42000                                                                            │
    │                                                                                                                                  │
    │                                                                                                                                  │
    │                                                                                                                                  │
    │                                                                                                                                  │
    │                                                                                                                                  │
    │                                                                                                                                  │
    │                                                                                                                                  │
    │                                                                                                                                  │
    │                                                                                                                                  │
    │                                                                                                                                  │
    │                                                                                                                                  │
    │                                                                                                                                  │
    │                                                                                                                                  │
    │                                                                                                                                  │
    └──────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────┘

     Space pause  l stop  c clear  ? keys  q back
    """##,
    "trainee-132x43": ##"""
     nettriage  Target 198.18.2.10:8080 (tcp)  trainee mode                                                             done in 3.76 ms
     address 198.18.2.10 (numeric) · from 198.18.1.10 · via eth0                                                      root, CAP_NET_RAW
    ┌─ Checklist ───────────────────────────────────┐┌─ Trainee: step 6 of 7, Destination ─────────────────────────────────────────────┐
    │ ✔ Path picture     198.18.2.10 via … 0.780 ms ││ ⏎ Press Enter for the next step.                                                │
    │ – Networking trace skipped: packet capt… skip ││ Result                                                                          │
    │ ✔ Local stack      loopback answers;… 1.92 ms ││   ✖ fail in 1.30 ms                                                             │
    │ – Neighbours       skipped: the target … skip ││   tcp port 8080: refused                                                        │
    │ ✔ Default gateway  198.18.1.1 REACHA… 1.49 ms ││                                                                                 │
    │▸✖ Destination      tcp port 8080: re… 1.30 ms ││   ping: 3 of 3 replies                                                          │
    │ – Socket state     skipped: the listene… skip ││   Handshake (read from the socket's outcome)                                    │
    │                                               ││     SYN     ─────────────────────────────▶  to 198.18.2.10:8080                 │
    │ verdict port-closed                           ││             ◀───────────────────────────── RST  0.402 ms                        │
    │                                               ││   Probes                                                                        │
    │                                               ││     tcp 198.18.2.10:8080: refused after 0.402 ms: ECONNREFUSED (111) Connection │
    │                                               ││         refused                                                                 │
    │                                               ││     tcp 198.18.2.10:8080: refused after 0.377 ms: ECONNREFUSED (111) Connection │
    │                                               ││         refused                                                                 │
    │                                               ││     tcp 198.18.2.10:8080: refused after 0.391 ms: ECONNREFUSED (111) Connection │
    │                                               ││         refused                                                                 │
    │                                               ││ How to read it                                                                  │
    │                                               ││   The verdict names the fault: a DNS failure (nxdomain, no address, timeout,    │
    │                                               ││   servfail, no servers), an RST (port-closed or port-reset-in-path), silence    │
    │                                               ││   (port-filtered or no-response), or an ICMP error with its sender              │
    │                                               ││   (admin-prohibited, host-unreachable, net-unreachable).                        │
    │                                               ││ What it rules in or out                                                         │
    │                                               ││   • A completed handshake rules out everything up to TCP: DNS, routing, the     │
    │                                               ││     firewalls for this port, the listener. A failing application is then to be  │
    │                                               ││     looked at above TCP (TLS, HTTP, login, proxy).                              │
    │                                               ││   • An RST rules in a host that is reachable: the path works, the port does     │
    │                                               ││     not.                                                                        │
    │                                               ││   • Silence rules in a filter or a dead host; the other steps (ping, ARP,       │
    │                                               ││     another port) tell which.                                                   │
    │                                               ││   • An ICMP error rules in the device that sent it.                             │
    │                                               ││   • A DNS failure means no connection was tried: fix the name first.            │
    │                                               ││                                                                                 │
    │                                               ││                                                                                 │
    │                                               ││                                                                                 │
    │                                               ││                                                                                 │
    │                                               ││                                                                                 │
    │ ✔ pass ! warn ✖ fail – skip  · pending        ││                                                                                 │
    └───────────────────────────────────────────────┘└─────────────────────────────────────────────────────────────────────────────────┘

     ⏎ go on  R again  n target  / explain  t leave  ? keys  q back
    """##,
    "help-132x43": ##"""
     nettriage  Target 198.18.2.10:443 (tcp)                                                                            done in 3.95 ms
     address 198.18.2.10 (numeric) · from 198.18.1.10 · via eth0                                                      root, CAP_NET_RAW
    ┌─ Checklist ───────────────────────────────────┐┌─ 6 Destination ─────────────────────────────────────────────────────────────────┐
    │ ✔ Path picture     198.18.2.10 via … 0.780 ms ││ ✔ pass in 1.50 ms                                                               │
    │ – Networking trace skipped: packet capt… skip ││ tcp port 443 answered in 0.388 ms                                               │
    │ ✔ Local stack      loopback answers;… 1.92 ms ││                                                                                 │
    │ – Neighbours       skipped: the target … skip ││ ping: 3 of 3 replies                                                            │
    │ ✔ Default gateway  198.18.1.1 REACHA… 1.49 ms ││ Latency ▇▇█  3 probes, 0.0% loss                                                │
    │▸✔ Destination      tcp port 443 answ… 1.50 ms ││   min/avg/p95/max 0.388/0.418/0.451/0.455 ms, jitter 0.046 ms                   │
    │ – Socket state     skipped: the listene… skip ││ Handshake (read from the socket's outcome)                                      │
    │                                               ││   SYN     ─────────────────────────────▶  to 198.18.2.10:443                    │
    │ verdict reachable       ┌─ Keys: Checklist  (? or Esc closes) ─────────────────────────────────────────┐ ms                      │
    │                         │   ↑/k    select the step above                                               │plete                    │
    │                         │   ↓/j    select the step below                                               │                         │
    │                         │   Home   select the first step                                               │8.1.10:41000             │
    │                         │   End    select the last step                                                │8.1.10:41014             │
    │                         │   ⏎      open the selected step's detail                                     │8.1.10:41028             │
    │                         │   d      the verdict in full: causes, evidence, every fix                    │                         │
    │                         │   r      re-run the selected step                                            │                         │
    │                         │   R      re-run the whole checklist                                          │                         │
    │                         │   l      loop the selected step's probe with live statistics                 │                         │
    │                         │   Space  pause or resume updates on screen                                   │                         │
    │ ✔ pass ! warn ✖ fail – s│   n      new target (with history)                                           │                         │
    └─────────────────────────│   /      look up an error code or message                                    │─────────────────────────┘
    ┌─ Diagnosis ─────────────│   t      trainee mode: a guided walkthrough                                  │─────────────────────────┐
    │ ✔ reachable  The connect│   e      export Markdown and JSON reports                                    │                         │
    │ 198.18.2.10:443 complete│   ?      this list of keys                                                   │                         │
    │ Evidence: tcp 198.18.2.1│   q/Esc  quit (the terminal is restored)                                     │                         │
    │ Next                    │                                                                              │                         │
    │  1. Test exactly what th│   Ctrl-C quits from anywhere; the terminal is always restored.               │ine and user.            │
    │  2. For a web service, l└──────────────────────────────────────────────────────────────────────────────┘                         │
    │     $ curl -v https://198.18.2.10/                                                                                               │
    │  3. Check whether the application goes through a proxy.                                                                          │
    │     $ env | grep -i _proxy                                                                                                       │
    │  4. If the failure comes and goes, repeat the probe and watch loss and latency.                                                  │
    │     $ nettriage probe tcp 198.18.2.10 443 -n 100                                                                                 │
    │  5. If transfers start and then hang, look for connections whose queues do not drain, here and on the server.                    │
    │     $ nettriage probe sockets --stalled -i 5 --port 443                                                                          │
    │                                                                                                                                  │
    │                                                                                                                                  │
    └──────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────┘

     ? close
    """##,
    "running-80x24": ##"""
     nettriage  Target 198.18.2.10:443 (tcp)                        ⠹ running 1.3 s
     address 198.18.2.10 (numeric) · from 198.18.1.10 · via eth0  root, CAP_NET_RAW
    ┌─ Checklist ────────────────┐┌─ 6 Destination ────────────────────────────────┐
    │ ✔ Path picture    0.780 ms ││ ⠹ running for 1.2 s                            │
    │ – Networking trace    skip ││                                                │
    │ ✔ Local stack      1.92 ms ││                                                │
    │ – Neighbours          skip ││                                                │
    │ ⠹ Default gateway    1.2 s ││                                                │
    │▸⠹ Destination        1.2 s ││                                                │
    │ – Socket state        skip ││                                                │
    └────────────────────────────┘└────────────────────────────────────────────────┘
    ┌─ Diagnosis ──────────────────────────────────────────────────────────────────┐
    │ ⠹ Waiting for the steps to end…                                              │
    │                                                                              │
    │                                                                              │
    │                                                                              │
    │                                                                              │
    │                                                                              │
    │                                                                              │
    │                                                                              │
    │                                                                              │
    └──────────────────────────────────────────────────────────────────────────────┘

     ⏎ detail  d verdict  r re-run  R all  l loop  n target  ? keys  q quit
    """##,
    "target-field-error-80x24": ##"""
     nettriage  Target localhost
                                                                  root, CAP_NET_RAW
    ┌─ Checklist ────────────────┐┌─ 6 Destination ────────────────────────────────┐
    │ · Path picture             ││                                                │
    │ · Networking trace         ││                                                │
    │ · Local stack              ││                                                │
    │ · Neighbours               ││                                                │
    │ · Default gateway          ││                                                │
    │▸· Destination              ││                                                │
    │ · Socket state             ││                                                │
    └────────────────────────────┘└────────────────────────────────────────────────┘
    ┌─ Diagnosis ──────────────────────────────────────────────────────────────────┐
    │ No target yet. Type one with n (HOST:PORT, a URL or unix:/path) to test a    │
    │ connection.                                                                  │
    │                                                                              │
    │                                                                              │
    │                                                                              │
    │                                                                              │
    │                                                                              │
    │                                                                              │
    │                                                                              │
    └──────────────────────────────────────────────────────────────────────────────┘
     ✖ missing port in "localhost": add one, e.g. localhost:443 or localhost 443
     ⏎ check it  ↑ history  Esc cancel
    """##,
    "step-detail-80x24": ##"""
     nettriage  Target 198.18.2.10:8443 (tcp)                         done in 3.0 s
     address 198.18.2.10 (numeric) · from 198.18.1.10 · via eth0  root, CAP_NET_RAW
    ┌─ 1 Path picture ─────────────────────────────────────────────────────────────┐
    │ ✔ pass in 2.1 s                                                              │
    │ 198.18.2.10 via 198.18.1.1 dev eth0 src 198.18.1.10 (2 hops)                 │
    │                                                                              │
    │ route: unicast via 198.18.1.1 dev eth0 src 198.18.1.10 (routed)              │
    │ Hops toward the destination (traced while the connect waited)                │
    │      1  198.18.1.1  time exceeded  0.231 ms                                  │
    │   2-16  *  (no answer from these 15 hops)                                    │
    │ no answer after hop 1 (198.18.1.1): something past it drops the probes       │
    │ Probes                                                                       │
    │   route: 198.18.2.10 via 198.18.1.1 dev eth0 src 198.18.1.10 (unicast, table │
    │       main)                                                                  │
    │   egress eth0: UP,BROADCAST,RUNNING,LOWER_UP operstate UP, carrier           │
    │   trace (TCP SYN to 8443): hop 1 198.18.1.1 0.231 ms; hop 2 no answer; hop 3 │
    │       no answer                                                              │
    │   trace (ICMP): hop 1 198.18.1.1 0.229 ms; hop 2 198.18.2.10 0.402 ms        │
    │                                                                              │
    │                                                                              │
    │                                                                              │
    └──────────────────────────────────────────────────────────────────────────────┘

     ← prev  → next  r re-run  R all  l loop  d verdict  e export  ? keys  q back
    """##,
    "diagnosis-full-132x43": ##"""
     nettriage  Target 198.18.2.10:8080 (tcp)                                                                           done in 3.76 ms
     address 198.18.2.10 (numeric) · from 198.18.1.10 · via eth0                                                      root, CAP_NET_RAW
    ┌─ Diagnosis in full ──────────────────────────────────────────────────────────────────────────────────────────────────────────────┐
    │ ✖ port-closed  Nothing is listening on the port                                                                                  │
    │ 198.18.2.10 answered the SYN with RST: nothing listens on port 8080                                                              │
    │                                                                                                                                  │
    │ On the wire                                                                                                                      │
    │   Our SYN reached the destination and its kernel answered with RST (RST+ACK): no socket listens on that address and port. The    │
    │   RST's TTL matches the destination's other replies, so the destination itself sent it. For UDP the same answer is an ICMP port  │
    │   unreachable (IPv4 type 3 code 3, IPv6 type 1 code 4). The connect failed at once with ECONNREFUSED.                            │
    │ Evidence                                                                                                                         │
    │   • tcp 198.18.2.10:8080: refused after 0.402 ms: ECONNREFUSED (111) Connection refused                                          │
    │   • tcp 198.18.2.10:8080: refused after 0.377 ms: ECONNREFUSED (111) Connection refused                                          │
    │   • tcp 198.18.2.10:8080: refused after 0.391 ms: ECONNREFUSED (111) Connection refused                                          │
    │ Likely causes                                                                                                                    │
    │   1. The service is not running: stopped, crashed, or failed to start.                                                           │
    │   2. The service listens on another port, or only on 127.0.0.1/::1 or another of the server's addresses.                         │
    │   3. The service listens on IPv4 only and the test used IPv6, or the reverse.                                                    │
    │   4. A port forward or container port mapping (Docker, a Kubernetes Service) is missing or points at the wrong port.             │
    │   5. A host firewall rule that rejects with a TCP reset: on the wire it looks the same.                                          │
    │ Could not tell                                                                                                                   │
    │   • whether the RST came from the destination or from a device in the path: that needs the packet trace's TTLs (CAP_NET_RAW)     │
    │   • Which service should listen there: only the server's owner knows.                                                            │
    │   • Whether the RST came from the service's kernel or from a reject rule in the destination's own firewall: both come from the   │
    │     same host with the same TTL. `ss -ltn` on the server settles it.                                                             │
    │ Fix                                                                                                                              │
    │  1. On the server: see whether anything listens on the port, and on which address.                                               │
    │     $ ss -ltnp 'sport = :8080'                                                                                                   │
    │     PS> Get-NetTCPConnection -LocalPort 8080 -State Listen                                                                       │
    │  2. On the server: start the service and read why it stopped.                                                                    │
    │     $ systemctl status <service>; journalctl -u <service> -n 50 --no-pager                                                       │
    │     PS> Get-Service <service>                                                                                                    │
    │  3. If it listens only on 127.0.0.1 or ::1, set its listen address to the server's address (or 0.0.0.0 / ::) and restart it.     │
    │  4. For a container: check the published ports.                                                                                  │
    │     $ docker ps                                                                                                                  │
    │  5. From the client: confirm once the service is back.                                                                           │
    │     $ nc -vz -w 3 198.18.2.10 8080                                                                                               │
    │     PS> Test-NetConnection 198.18.2.10 -Port 8080                                                                                │
    │                                                                                                                                  │
    │                                                                                                                                  │
    └──────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────┘

     R re-run all  e export  / explain  ? keys  q back
    """##,
    "changed-since-last-run-80x24": ##"""
     nettriage  Target 198.18.2.10:443 (tcp)                        done in 3.95 ms
     address 198.18.2.10 (numeric) · from 198.18.1.10 · via eth0  root, CAP_NET_RAW
    ┌─ Checklist ────────────────┐┌─ 6 Destination ────────────────────────────────┐
    │ ✔ Path picture    0.780 ms ││ ✔ pass in 1.50 ms                              │
    │ – Networking trace    skip ││ tcp port 443 answered in 0.388 ms              │
    │ ✔ Local stack      1.92 ms ││ Δ changed since the last run: fail → pass      │
    │ – Neighbours          skip ││   was: tcp port 8080: refused                  │
    │ ✔ Default gateway  1.49 ms ││                                                │
    │▸✔ Destination    Δ 1.50 ms ││ ping: 3 of 3 replies                           │
    │ – Socket state        skip ││ … 14 more lines: Enter shows all               │
    └────────────────────────────┘└────────────────────────────────────────────────┘
    ┌─ Diagnosis ──────────────────────────────────────────────────────────────────┐
    │ ✔ reachable  The connection works                                            │
    │ 198.18.2.10:443 completed the TCP handshake                                  │
    │ Evidence: tcp 198.18.2.10:443: connected in 0.412 ms  from 198.18.1.10:4100… │
    │ Next                                                                         │
    │  1. Test exactly what the application uses: the name and port from its conf… │
    │  2. For a web service, look at the HTTP answer (and, over https, the TLS ha… │
    │     $ curl -v https://198.18.2.10/                                           │
    │  3. Check whether the application goes through a proxy.                      │
    │ … 5 more lines: d shows the verdict in full                                  │
    └──────────────────────────────────────────────────────────────────────────────┘
     Δ 1 step changed since the last run
     ⏎ detail  d verdict  r re-run  R all  l loop  n target  ? keys  q quit
    """##,
    "practice-pick-80x24": ##"""
     nettriage  Target 198.18.2.10:8080 (tcp)  practice round       done in 3.76 ms
     address 198.18.2.10 (numeric) · from 198.18.1.10 · via eth0  root, CAP_NET_RAW
    ┌─ Checklist ────────────────┐┌─ Practice: your diagnosis ─────────────────────┐
    │ ✔ Path picture    0.780 ms ││ Your diagnosis? ↑↓ choose, ⏎ answer            │
    │ – Networking trace    skip ││                                                │
    │ ✔ Local stack      1.92 ms ││ ▸ reachable  The connection works              │
    │ – Neighbours          skip ││   port-closed  Nothing is listening on the po… │
    │ ✔ Default gateway  1.49 ms ││   port-reset-in-path  A device in the path re… │
    │ ✖ Destination      1.30 ms ││   port-filtered  The port is filtered: SYNs a… │
    │▸– Socket state        skip ││   no-response  No answer at all from the dest… │
    │                            ││   admin-prohibited  A firewall rejected the c… │
    │                            ││   neighbor-unreachable  The host on the local… │
    │                            ││   host-unreachable  A router says the host is… │
    │                            ││   net-unreachable  A router has no route to t… │
    │                            ││   no-route  This machine has no route to the … │
    │                            ││   gateway-unreachable  The default gateway do… │
    │                            ││   gateway-off-subnet  The gateway is outside … │
    │                            ││   link-down  The network interface is down or… │
    │                            ││   no-interface  No usable network connection   │
    │                            ││   local-firewall  This machine's own firewall… │
    │ ✔ pass ! warn ✖ fail – skip││   source-address-unavailable  The source addr… │
    └────────────────────────────┘└────────────────────────────────── 1-18 of 33 ──┘

     ⏎ go on  R again  n target  / explain  t leave  ? keys  q back
    """##,
    "practice-answered-132x43": ##"""
     nettriage  Target 198.18.2.10:8080 (tcp)  practice round                                                           done in 3.76 ms
     address 198.18.2.10 (numeric) · from 198.18.1.10 · via eth0                                                      root, CAP_NET_RAW
    ┌─ Checklist ───────────────────────────────────┐┌─ Trainee: the verdict ──────────────────────────────────────────────────────────┐
    │ ✔ Path picture     198.18.2.10 via … 0.780 ms ││ ✖ Not quite: you said port-filtered; the fault was port-closed (Nothing is      │
    │ – Networking trace skipped: packet capt… skip ││ listening on the port).                                                         │
    │ ✔ Local stack      loopback answers;… 1.92 ms ││ Scenario port-closed                                                            │
    │ – Neighbours       skipped: the target … skip ││ Why                                                                             │
    │ ✔ Default gateway  198.18.1.1 REACHA… 1.49 ms ││   The server is up, but nothing listens on port 8080: its kernel answers the    │
    │ ✖ Destination      tcp port 8080: re… 1.30 ms ││   SYN with RST.                                                                 │
    │▸– Socket state     skipped: the listene… skip ││                                                                                 │
    │                                               ││ The verdict                                                                     │
    │ verdict port-closed                           ││   ✖ port-closed  Nothing is listening on the port                               │
    │                                               ││   198.18.2.10 answered the SYN with RST: nothing listens on port 8080           │
    │                                               ││ How the evidence led there                                                      │
    │                                               ││   ✔ Path picture: 198.18.2.10 via 198.18.1.1 dev eth0 src 198.18.1.10           │
    │                                               ││   – Networking trace: skipped: packet capture is not built yet                  │
    │                                               ││   ✔ Local stack: loopback answers; usable: eth0 198.18.1.10/24                  │
    │                                               ││   – Neighbours: skipped: the target is not on-link                              │
    │                                               ││   ✔ Default gateway: 198.18.1.1 REACHABLE; ping 0.210 ms                        │
    │                                               ││   ✖ Destination: tcp port 8080: refused                                         │
    │                                               ││   – Socket state: skipped: the listener is not on this machine                  │
    │                                               ││   The evidence the verdict rests on:                                            │
    │                                               ││   • tcp 198.18.2.10:8080: refused after 0.402 ms: ECONNREFUSED (111) Connection │
    │                                               ││     refused                                                                     │
    │                                               ││   • tcp 198.18.2.10:8080: refused after 0.377 ms: ECONNREFUSED (111) Connection │
    │                                               ││     refused                                                                     │
    │                                               ││   • tcp 198.18.2.10:8080: refused after 0.391 ms: ECONNREFUSED (111) Connection │
    │                                               ││     refused                                                                     │
    │                                               ││   → so: port-closed, 198.18.2.10 answered the SYN with RST: nothing listens on  │
    │                                               ││     port 8080                                                                   │
    │                                               ││ On the wire                                                                     │
    │                                               ││   Our SYN reached the destination and its kernel answered with RST (RST+ACK):   │
    │                                               ││   no socket listens on that address and port. The RST's TTL matches the         │
    │                                               ││   destination's other replies, so the destination itself sent it. For UDP the   │
    │                                               ││   same answer is an ICMP port unreachable (IPv4 type 3 code 3, IPv6 type 1 code │
    │                                               ││   4). The connect failed at once with ECONNREFUSED.                             │
    │                                               ││ What the tool could not tell                                                    │
    │                                               ││   • whether the RST came from the destination or from a device in the path:     │
    │                                               ││     that needs the packet trace's TTLs (CAP_NET_RAW)                            │
    │ ✔ pass ! warn ✖ fail – skip  · pending        ││ Fix                                                                             │
    └───────────────────────────────────────────────┘└─────────────────────────────────────────────────────────────────── 1-37 of 50 ──┘

     ⏎ go on  R again  n target  / explain  t leave  ? keys  q back
    """##,
    "ascii-healthy-80x24": ##"""
     nettriage  Target 198.18.2.10:443 (tcp)                        done in 3.95 ms
     address 198.18.2.10 (numeric) . from 198.18.1.10 . via eth0  root, CAP_NET_RAW
    +- Checklist ----------------++- 6 Destination --------------------------------+
    | + Path picture    0.780 ms || + pass in 1.50 ms                              |
    | - Networking trace    skip || tcp port 443 answered in 0.388 ms              |
    | + Local stack      1.92 ms ||                                                |
    | - Neighbours          skip || ping: 3 of 3 replies                           |
    | + Default gateway  1.49 ms || Latency ##@  3 probes, 0.0% loss               |
    |>+ Destination      1.50 ms ||   min/avg/p95/max 0.388/0.418/0.451/0.455 ms,  |
    | - Socket state        skip || ~ 12 more lines: Enter shows all               |
    +----------------------------++------------------------------------------------+
    +- Diagnosis ------------------------------------------------------------------+
    | + reachable  The connection works                                            |
    | 198.18.2.10:443 completed the TCP handshake                                  |
    | Evidence: tcp 198.18.2.10:443: connected in 0.412 ms  from 198.18.1.10:4100~ |
    | Next                                                                         |
    |  1. Test exactly what the application uses: the name and port from its conf~ |
    |  2. For a web service, look at the HTTP answer (and, over https, the TLS ha~ |
    |     $ curl -v https://198.18.2.10/                                           |
    |  3. Check whether the application goes through a proxy.                      |
    | ~ 5 more lines: d shows the verdict in full                                  |
    +------------------------------------------------------------------------------+

     Enter detail  d verdict  r re-run  R all  l loop  n target  ? keys  q quit
    """##,
    "enlarge-60x20": ##"""








                         Enlarge the window
             nettriage needs 80x24, this one is 60x20.
                              q quits









    """##,
  ]
}
