use super::*;

fn mine(cfg: DrainConfig, lines: &[&str]) -> (Drain, Vec<u32>) {
    let mut d = Drain::new(cfg);
    let mut t = Tokens::default();
    let ids = lines
        .iter()
        .map(|l| {
            t.fill(l);
            d.add(&t)
        })
        .collect();
    (d, ids)
}

#[test]
fn groups_lines_of_one_template_and_splits_others() {
    let lines = [
        "081109 203615 148 INFO dfs.DataNode: Receiving block blk_1 src: /10.0.0.1:5 dest: /10.0.0.2:5",
        "081109 203616 149 INFO dfs.DataNode: Receiving block blk_2 src: /10.0.0.3:5 dest: /10.0.0.4:5",
        "081109 203617 150 INFO dfs.DataNode: PacketResponder 1 for block blk_3 terminating",
        "081109 203618 151 INFO dfs.DataNode: PacketResponder 2 for block blk_4 terminating",
        "session opened for user alice by root",
        "session opened for user bob by root",
        "session closed for user alice",
    ];
    // `alice`/`bob` differ as words: the tree keeps them apart and the sibling pass joins
    // them because they follow `user`.
    let (mut d, ids) = mine(DrainConfig::default(), &lines);
    assert_eq!(ids, vec![0, 0, 1, 1, 2, 3, 4]);
    let c = d.canonical_ids();
    assert_eq!(c[2], c[3]);
    assert_ne!(c[2], c[4]);
    assert_eq!(d.template(c[2]), "session opened for user <*> by root");
    assert_eq!(d.template(4), "session closed for user alice");
    assert_eq!(
        d.template(1),
        "<*> <*> <*> INFO dfs.DataNode: PacketResponder <*> for block <*> terminating"
    );
}

#[test]
fn dissimilar_lines_of_equal_length_stay_apart() {
    let lines = [
        "connection reset by peer now",
        "connection refused by remote host",
    ];
    let (_, ids) = mine(DrainConfig::default(), &lines);
    assert_ne!(ids[0], ids[1]);
}

#[test]
fn cluster_cap_sends_the_rest_to_overflow() {
    let cfg = DrainConfig {
        max_clusters: 2,
        ..DrainConfig::default()
    };
    let lines = [
        "alpha beta",
        "gamma delta",
        "epsilon zeta",
        "eta theta",
        "alpha beta",
    ];
    let (d, ids) = mine(cfg, &lines);
    assert_eq!(ids[0], 0);
    assert_eq!(ids[1], 1);
    assert_eq!(ids[2], ids[3]);
    assert_eq!(ids[4], 0, "known templates still match when full");
    assert_eq!(d.template(ids[2]), OVERFLOW_TEMPLATE);
    assert_eq!(d.overflow_lines(), 2);
    assert_eq!(d.len(), 3);
}

#[test]
fn max_children_bounds_the_tree() {
    let cfg = DrainConfig {
        max_children: 3,
        ..DrainConfig::default()
    };
    let lines: Vec<String> = (0..20)
        .map(|i| format!("{} x y z", "abcdefghijklmnopqrst".as_bytes()[i] as char))
        .collect();
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let (d, ids) = mine(cfg, &refs);
    // Past three branches every line shares the wildcard branch: 20 distinct first words
    // make 4 children of the length node, not 20.
    assert_eq!(ids.len(), 20);
    assert!(d.nodes.len() <= 1 + 4 * 2, "nodes {}", d.nodes.len());
}

#[test]
fn canonical_ids_map_distinct_templates_to_themselves() {
    let lines = ["a one two", "b one two", "a three four"];
    let (mut d, ids) = mine(DrainConfig::default(), &lines);
    assert_eq!(ids, vec![0, 1, 2]);
    assert_eq!(d.canonical_ids(), vec![0, 1, 2]);
}

#[test]
fn mining_is_deterministic() {
    let lines: Vec<String> = (0..500)
        .map(|i| {
            format!(
                "req {} user u{} path /p/{} took {}ms",
                i % 7,
                i % 13,
                i % 5,
                i
            )
        })
        .collect();
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let (d1, a) = mine(DrainConfig::default(), &refs);
    let (d2, b) = mine(DrainConfig::default(), &refs);
    assert_eq!(a, b);
    let t1: Vec<String> = (0..d1.len() as u32).map(|i| d1.template(i)).collect();
    let t2: Vec<String> = (0..d2.len() as u32).map(|i| d2.template(i)).collect();
    assert_eq!(t1, t2);
}

#[test]
fn short_messages_behind_a_constant_header_stay_apart() {
    let mut lines = Vec::new();
    for i in 0..30 {
        lines.push(format!(
            "- {i} node-{i} RAS KERNEL INFO generating core.{i}"
        ));
        lines.push(format!("- {i} node-{i} RAS KERNEL INFO program interrupt"));
    }
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let (_, ids) = mine(DrainConfig::default(), &refs);
    assert!(ids.iter().step_by(2).all(|&i| i == ids[0]));
    assert!(ids.iter().skip(1).step_by(2).all(|&i| i == ids[1]));
    assert_ne!(ids[0], ids[1]);
}

#[test]
fn templates_differing_only_in_shared_header_values_merge() {
    // Component and state columns hold values that recur with many messages; a message seen
    // behind two of them is still one template. The tree splits them (it routes on leading
    // tokens), the post-pass joins them.
    let lines = [
        "1 node status 5 running",
        "2 node status 6 not responding",
        "3 node status 7 halted now",
        "4 domain status 8 not responding",
        "5 domain status 9 halted now",
        "6 domain status 1 idle state",
        "7 switch error 2 link down",
        "8 switch error 3 link up",
        "8 switch error 3 port reset by peer",
        "9 node error 4 link down",
        "10 node boot 5 done",
        "11 job status 6 done",
    ];
    // Indexes below are into `lines`; line 8 only makes `switch` recur.
    let (mut d, ids) = mine(DrainConfig::default(), &lines);
    let c = d.canonical_ids();
    let g: Vec<u32> = ids.iter().map(|&i| c[i as usize]).collect();
    assert_eq!(g[1], g[3], "not responding");
    assert_eq!(g[2], g[4], "halted now");
    assert_eq!(g[6], g[9], "link down");
    assert_ne!(g[6], g[7], "link down / link up differ in the message");
    // `job` appears in one template only: a message word, so the two stay apart.
    assert_ne!(g[10], g[11]);
    assert_ne!(g[0], g[1]);
}

#[test]
fn a_value_with_a_space_joins_the_template_with_a_wildcard_there() {
    // Eight one-word names make that column a wildcard (sibling merge); the two-word name
    // has one token more, so the tree never compares it with them.
    let names = [
        "chrome", "firefox", "curl", "git", "sync", "updater", "agent", "shell",
    ];
    let mut lines: Vec<String> = names
        .iter()
        .map(|n| format!("proxy open for {n}.exe now done"))
        .collect();
    lines.push("proxy open for mail client.exe now done".into());
    // The run `user <*>` holds a value of its own: another structure.
    lines.push("proxy open for user 12 now done".into());
    let lines: Vec<&str> = lines.iter().map(|l| l.as_str()).collect();
    let (mut d, ids) = mine(DrainConfig::default(), &lines);
    let c = d.canonical_ids();
    let g: Vec<u32> = ids.iter().map(|&i| c[i as usize]).collect();
    assert!(g[..8].iter().all(|&x| x == g[0]));
    assert_eq!(g[0], g[8], "two-word value joins");
    assert_eq!(d.template(g[8]), "proxy open for <*> now done");
    assert_ne!(g[0], g[9]);
    let off = DrainConfig {
        max_stretch: 0,
        ..DrainConfig::default()
    };
    let (mut d, ids) = mine(off, &lines);
    let c = d.canonical_ids();
    assert_ne!(c[ids[0] as usize], c[ids[8] as usize]);
}

fn groups(lines: &[String]) -> (Drain, Vec<u32>) {
    let lines: Vec<&str> = lines.iter().map(|l| l.as_str()).collect();
    let (mut d, ids) = mine(DrainConfig::default(), &lines);
    let c = d.canonical_ids();
    let g = ids.iter().map(|&i| c[i as usize]).collect();
    (d, g)
}

#[test]
fn few_siblings_merge_only_where_the_column_shows_a_value() {
    let mut lines = Vec::new();
    for a in ["SCREEN_ON", "SCREEN_OFF", "TIME_TICK"] {
        lines.push(format!("onReceive action: android.intent.action.{a}"));
    }
    // A message's subject, camel-cased or not, is the event.
    lines.push("minSessionTimeout set to 4000".into());
    lines.push("autopurge.purgeInterval set to 0".into());
    // Plain verbs with all else shared: two events.
    for v in ["startup", "shutdown", "startup", "shutdown"] {
        lines.push(format!("cupsd {v} succeeded now"));
    }
    // A state word beside a wildcard sibling is still its own event.
    for (i, s) in ["LOOKING", "LEADING"].iter().enumerate() {
        lines.push(format!("Notification: {i} (n.leader), {s} (n.state) now"));
    }
    // A literal user beside the generalised template joins it.
    for u in ["u1x", "u2y", "postgres"] {
        lines.push(format!(
            "Failed password for invalid user {u} from 1.2.3.4 port 22"
        ));
    }
    // A word after `user` names the user, even among a few plain names; after another
    // word it is the event's own word.
    for u in ["news", "root", "cyrus"] {
        lines.push(format!("session closed for user {u}"));
    }
    for w in ["errors", "timeout", "restart"] {
        lines.push(format!("session closed for an {w}"));
    }
    let (_, g) = groups(&lines);
    assert!(g[14] == g[15] && g[15] == g[16], "user names join: {g:?}");
    assert!(
        g[17] != g[18] && g[18] != g[19],
        "plain words stay apart: {g:?}"
    );
    assert!(g[1] == g[0] && g[2] == g[0], "named values join: {g:?}");
    assert_ne!(g[3], g[4], "subjects stay apart");
    assert_eq!(g[5], g[7]);
    assert_ne!(g[5], g[6], "verbs stay apart");
    assert_ne!(g[9], g[10], "states stay apart");
    assert!(
        g[11] == g[13] && g[12] == g[13],
        "literal joins wildcard: {g:?}"
    );
}

#[test]
fn a_value_with_its_unit_joins_the_bare_value() {
    // `lifetime <1 sec` beside `lifetime 00:02`: the value takes one word more.
    let mut lines: Vec<String> = (0..6)
        .map(|i| format!("app - host close, {i} bytes sent, lifetime 00:0{i}"))
        .collect();
    lines.push("app - host close, 7 bytes sent, lifetime <1 sec".into());
    // A word after an open tail of another structure is not a unit.
    lines.push("app - host close, 7 bytes sent, lifetime".into());
    let (d, g) = groups(&lines);
    assert!(g[..7].iter().all(|&x| x == g[0]), "{g:?}");
    assert_eq!(
        d.template(g[0]),
        "app - host close, <*> bytes sent, lifetime <*>"
    );
    assert_ne!(g[0], g[7]);
}

#[test]
fn a_value_where_a_word_stood_is_another_event() {
    // `SOCKS5` masks as a value; the `HTTPS` template must not take it for one (among
    // other events, so the shared words weigh as they would in a real stream).
    let mut lines: Vec<String> = (0..40)
        .map(|i| format!("task {i} finished in {i} ms"))
        .collect();
    for i in 0..30 {
        lines.push(format!(
            "10.0.0.{i}:443 open through proxy p{i}.example.com:5070 HTTPS"
        ));
        if i % 3 == 0 {
            lines.push(format!(
                "10.0.0.{i}:443 open through proxy p{i}.example.com:5070 SOCKS5"
            ));
        }
    }
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    let (d, ids) = mine(DrainConfig::default(), &lines);
    let (https, socks) = (ids[40], ids[41]);
    assert_ne!(https, socks, "{}", d.template(https));
    for (line, id) in lines.iter().zip(&ids).skip(40) {
        let want = if line.ends_with("SOCKS5") {
            socks
        } else {
            https
        };
        assert_eq!(*id, want, "{line}");
    }
    assert!(
        d.template(https).ends_with("HTTPS"),
        "{}",
        d.template(https)
    );
    // A dotted name may be a value whatever its letters: a digitless one seen first
    // still takes the masked ones (among other events, so its words weigh as usual).
    let mut lines: Vec<String> = (0..40)
        .map(|i| format!("task {i} finished in {i} ms"))
        .collect();
    lines
        .push("Registering class a.b.jobhistory.EventType for class a.b.jobhistory.Handler".into());
    lines.push(
        "Registering class a.b.mapreduce.v2.Commit for class a.b.mapreduce.v2.Handler".into(),
    );
    lines.push(
        "Registering class a.b.mapreduce.v2.Job for class a.b.mapreduce.v2.Dispatcher".into(),
    );
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    let (_, ids) = mine(DrainConfig::default(), &lines);
    assert_eq!(ids[40..], [ids[40]; 3]);
}

#[test]
fn two_plain_words_in_one_column_are_two_events_even_in_a_long_line() {
    // One differing word in fourteen passes the similarity threshold on its own; a word
    // against a word is what tells the events apart (`bytes`/`values`, `sent,`/`lost,`).
    let mut lines = Vec::new();
    for i in 0..12 {
        let kind = ["bytes", "values"][i % 2];
        lines.push(format!(
            "Block b_{i} stored as {kind} in memory (estimated size {i}.2 KB, free {i}.1 MB)"
        ));
        // The size unit varies with the size, so it is no word of the event.
        let (verb, unit) = [("sent,", "KB)"), ("lost,", "MB)")][i % 2];
        lines.push(format!(
            "app.exe - h{i}:80 close, {i} bytes {verb} {i}0 bytes ({i}.5 {unit} received, lifetime 00:0{i}"
        ));
        // A level column is a header field, not the event: its words still merge.
        let level = ["INFO", "FATAL"][i % 2];
        lines.push(format!(
            "RAS KERNEL {level} instruction cache parity error corrected at {i}"
        ));
    }
    // Many words in one column are a variable: the sibling pass joins them.
    for w in [
        "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india",
    ] {
        lines.push(format!(
            "removing service {w} from the inetd configuration now"
        ));
    }
    let (_, g) = groups(&lines);
    let event = |k: usize, i: usize| g[3 * i + k];
    for k in 0..2 {
        assert_ne!(event(k, 0), event(k, 1), "kind {k}: {g:?}");
        assert!((0..12).all(|i| event(k, i) == event(k, i % 2)), "{g:?}");
    }
    assert!((0..12).all(|i| event(2, i) == event(2, 0)), "levels: {g:?}");
    assert!(g[36..].iter().all(|&x| x == g[36]), "siblings: {g:?}");
}

#[test]
fn a_key_glued_to_named_values_counts_as_a_literal() {
    let mut lines = Vec::new();
    for a in ["SCREEN_ON", "SCREEN_OFF", "USER_PRESENT", "SCREEN_ON"] {
        lines.push(format!(
            "processHandleBroadcastAction action:android.intent.action.{a}"
        ));
    }
    // Without the shared key the lone subject is too little to call the column a value.
    for a in ["a.b.One", "a.b.Two"] {
        lines.push(format!("processHandleBroadcastAction {a}"));
    }
    // Plain words behind one glued key are still the event's own words.
    for w in ["ok", "failed"] {
        lines.push(format!("syncState result:{w}"));
    }
    // A keyed name may open the message: the key, not the name, is its subject.
    for a in ["SCREEN_ON", "TIME_TICK"] {
        lines.push(format!(
            "action:android.intent.action.{a}, mPermissionType:0"
        ));
    }
    // Keyed plain words there are still the event's own words.
    for w in ["idle", "busy"] {
        lines.push(format!("state:{w}, count:7"));
    }
    let (_, g) = groups(&lines);
    assert!(g[..4].iter().all(|&x| x == g[0]), "{g:?}");
    assert_ne!(g[4], g[5]);
    assert_ne!(g[6], g[7]);
    assert_eq!(g[8], g[9], "{g:?}");
    assert_ne!(g[10], g[11], "{g:?}");
}

#[test]
fn transitions_within_one_value_set_are_one_event() {
    let line =
        |a: &str, b: &str| format!("mgr::setMode Setting the operation mode from {a} to {b}");
    let mut lines = vec![
        line("AUTO", "AUTO"),
        line("AUTO", "SUSPENDED"),
        line("SUSPENDED", "AUTO"),
    ];
    // Two pairs only: nothing shows that the columns vary freely.
    lines.push("link went from UP to UP on the first port".into());
    lines.push("link went from DOWN to DOWN on the first port".into());
    // A verb beside a name: different value sets, different events.
    for (verb, user) in [
        ("opened", "root"),
        ("closed", "news"),
        ("opened", "news"),
        ("closed", "root"),
    ] {
        lines.push(format!("pam_unix session {verb} for {user} by the daemon"));
    }
    let (_, g) = groups(&lines);
    assert!(g[..3].iter().all(|&x| x == g[0]), "{g:?}");
    assert_ne!(g[3], g[4]);
    assert_ne!(g[5], g[6]);
    assert_ne!(g[5], g[8]);
}

#[test]
fn a_word_recurring_only_behind_varying_names_is_not_a_header_value() {
    // `startup` sits in column 1 of many templates, but always before the same message
    // rest: the column before it varies, so it is no header field. Each service's startup
    // and shutdown are their own events.
    let mut lines = Vec::new();
    for s in ["cupsd", "klogd", "xinetd", "crond", "atd", "gpm"] {
        lines.push(format!("{s} startup succeeded"));
        lines.push(format!("{s} shutdown succeeded"));
    }
    let (_, g) = groups(&lines);
    for i in 0..6 {
        assert_ne!(g[2 * i], g[2 * i + 1], "startup/shutdown {i}: {g:?}");
        assert_ne!(g[2 * i], g[(2 * i + 2) % 12], "service {i}: {g:?}");
    }
}

#[test]
fn an_empty_pair_and_a_filled_one_are_one_value() {
    // `()` says the host had no name, `(name)` names it: one print statement either way,
    // whichever came first (three of four independent stand-in rounds read it so).
    for empty_first in [false, true] {
        // Other events first, so that the shared words weigh as in a real log.
        let mut lines: Vec<String> = (0..40)
            .map(|i| format!("worker {i} finished batch {i}"))
            .collect();
        for i in 0..10 {
            let host = format!("{}{i}.example.net", ["gw", "static-10-0-", "mail"][i % 3]);
            let named = format!("connection from 10.0.0.{i} ({host}) at 12:00:0{i} 2005");
            let empty = format!("connection from 10.1.0.{i} () at 12:00:0{i} 2005");
            if empty_first {
                lines.extend([empty, named]);
            } else {
                lines.extend([named, empty]);
            }
        }
        let (_, g) = groups(&lines);
        let g = &g[40..];
        assert!(g.iter().all(|&x| x == g[0]), "{empty_first}: {g:?}");
    }
}

#[test]
fn two_code_sites_as_first_word_stay_two_events() {
    let mut lines = Vec::new();
    for site in ["mDNS_RegisterInterface:", "mDNS_DeregisterInterface:"] {
        for i in 0..3 {
            lines.push(format!(
                "{site} Frequent transitions for interface en{i} (fe80::{i})"
            ));
        }
    }
    // A dotted name there is a value: a service, not a line of code.
    for svc in ["com.apple.quicklook", "com.apple.bsd.dirhelper"] {
        lines.push(format!(
            "{svc}: Endpoint activated through legacy launch APIs"
        ));
    }
    let (_, g) = groups(&lines);
    assert_eq!(g[0], g[2]);
    assert_ne!(g[0], g[3], "code sites stay apart: {g:?}");
    assert_eq!(g[6], g[7], "named services join: {g:?}");
}

#[test]
fn a_word_before_one_message_with_varying_names_is_not_a_header_value() {
    // `none` stands before `for invalid user X from ...` with several user names, which
    // the sibling pass shows to be one message: it is a message word, not a header field
    // like `password`, which stands before other messages too.
    let mut lines = Vec::new();
    for u in [
        "admin", "test", "ubnt", "sales", "guest", "oracle", "pi", "temp", "web",
    ] {
        for i in 0..3 {
            lines.push(format!(
                "Failed password for invalid user {u} from 10.0.0.{i} port 4{i}"
            ));
        }
        lines.push(format!(
            "Failed none for invalid user {u} from 10.0.1.1 port 99"
        ));
    }
    for u in ["root", "bin", "daemon"] {
        lines.push(format!("Failed password for {u} from 10.0.2.1 port 22"));
    }
    lines.push("Failed password after timeout from 10.0.2.1 port 22".to_string());
    let (d, g) = groups(&lines);
    assert_ne!(g[0], g[3], "{}", d.template(g[3]));
    assert_eq!(g[0], g[4], "{}", d.template(g[4]));
    assert_eq!(g[3], g[7], "{}", d.template(g[7]));
}
