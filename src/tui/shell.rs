//! The one TUI shell: the App and the driver of its worker, and [`Shell::handle`], the
//! single way an event (a key, a resize, a worker report, a signal, a demo cue) reaches the
//! App. It maps keys through the keymap, applies actions and worker reports through
//! `update`, sends the resulting commands to the driver, and returns the [`Effect`]s that
//! only the event loop can carry out. The live loop ([`super::live`]) and the inline driver
//! ([`super::inline`], and so the demo player and the tests) both call it; around it they do
//! only terminal I/O, timing and signals.

use super::action::Action;
use super::app::{App, Effect};
use super::driver::Driver;
use super::keymap;
use super::update::{self, cue::Cue};
use super::worker::WorkerEvent;
use crossterm::event::KeyEvent;

/// Everything the UI reacts to.
#[derive(Debug)]
pub enum UiEvent {
    Key(KeyEvent),
    Resize(u16, u16),
    Worker(WorkerEvent),
    /// SIGTERM, SIGINT, SIGHUP or SIGQUIT (the signal number).
    Terminate(i32),
    /// SIGTSTP from outside (`kill -TSTP`).
    Suspend,
    /// A cue of a demo script (from its line). Waits and marks are the player's business.
    Cue {
        line: usize,
        cue: Cue,
    },
}

/// The App and the driver its commands go to.
pub struct Shell<D: Driver> {
    app: App,
    driver: D,
    /// The process exit code: 0, or 128 + the signal that ended the TUI.
    exit: u8,
}

impl<D: Driver> Shell<D> {
    /// The shell on `app`, sized to the terminal and its first run started.
    pub fn start(app: App, driver: D, (width, height): (u16, u16)) -> Shell<D> {
        let mut shell = Shell {
            app,
            driver,
            exit: 0,
        };
        shell.handle(UiEvent::Resize(width, height));
        shell.act(Action::Start, &mut Vec::new());
        shell
    }

    /// Apply an event; returns what the event loop must carry out.
    pub fn handle(&mut self, event: UiEvent) -> Vec<Effect> {
        let mut out = Vec::new();
        match event {
            UiEvent::Key(key) => {
                // While a demo plays, the lecturer's keys (not the script's) reach its layer.
                let action = if self.app.demo().is_some() {
                    keymap::map_playing(self.app.mode(), &key)
                } else {
                    keymap::map(self.app.mode(), &key)
                };
                if let Some(action) = action {
                    self.act(action, &mut out);
                }
            }
            UiEvent::Resize(w, h) => self.act(Action::Resize(w, h), &mut out),
            UiEvent::Worker(event) => {
                if let Some(failure) = failure_of(&event) {
                    out.push(Effect::WorkerFailed(failure));
                }
                let cmds = update::on_worker(&mut self.app, event);
                self.driver.send(cmds);
            }
            UiEvent::Terminate(sig) => {
                self.exit = 128u8.saturating_add(u8::try_from(sig).unwrap_or(0));
                self.act(Action::QuitNow, &mut out);
            }
            UiEvent::Suspend => self.act(Action::Suspend, &mut out),
            UiEvent::Cue { line, cue } => match update::cue::apply(&mut self.app, &cue) {
                Ok(cmds) => self.driver.send(cmds),
                Err(message) => out.push(Effect::CueFailed { line, message }),
            },
        }
        let mut effects = update::take_effects(&mut self.app);
        effects.extend(out);
        effects
    }

    fn act(&mut self, action: Action, out: &mut Vec<Effect>) {
        if action == Action::Suspend {
            out.push(Effect::Suspend);
        }
        let cmds = update::update(&mut self.app, action);
        self.driver.send(cmds);
    }

    pub fn app(&self) -> &App {
        &self.app
    }

    pub fn driver(&self) -> &D {
        &self.driver
    }

    pub fn driver_mut(&mut self) -> &mut D {
        &mut self.driver
    }

    /// How an effect went: a line for the status bar.
    pub fn effect_done(&mut self, result: Result<String, String>) {
        update::effect_done(&mut self.app, result);
    }

    /// Recording started (to this file) or stopped.
    pub fn recording(&mut self, file: Option<String>) {
        update::recording(&mut self.app, file);
    }

    /// The event loop's clock, seconds since the start (messages are logged with it).
    pub fn set_time(&mut self, secs: f64) {
        update::set_time(&mut self.app, secs);
    }

    /// 0, or 128 + the signal that ended the TUI.
    pub fn exit_code(&self) -> u8 {
        self.exit
    }

    /// The demo playing is `secs` in (pauses excluded).
    pub fn demo_position(&mut self, secs: f64) {
        update::demo::position(&mut self.app, secs);
    }

    /// The demo playing passed the mark of chapter `index`.
    pub fn demo_chapter(&mut self, index: usize) {
        update::demo::chapter(&mut self.app, index);
    }

    /// Every cue of the demo playing has played.
    pub fn demo_finished(&mut self) {
        update::demo::finished(&mut self.app);
    }

    /// Go on from `app` and `driver` (a demo replayed to a chapter); returns the driver
    /// replaced (dropping it stops its worker).
    pub fn replace(&mut self, app: App, driver: D) -> D {
        self.app = app;
        std::mem::replace(&mut self.driver, driver)
    }

    /// The App and the driver.
    pub fn into_parts(self) -> (App, D) {
        (self.app, self.driver)
    }
}

/// The message of a worker event that reports a failure.
fn failure_of(event: &WorkerEvent) -> Option<String> {
    match event {
        WorkerEvent::Failed { message, .. } => Some(message.clone()),
        WorkerEvent::SweepDone { error: Some(e), .. } => Some(format!("the sweep failed: {e}")),
        WorkerEvent::SeedsDone { error: Some(e), .. } => Some(format!("the seeds failed: {e}")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::LabId;
    use crate::run::RunSpec;
    use crate::tui::keymap::parse_key;
    use crate::tui::theme::ThemeName;
    use crate::tui::worker::Command;

    /// A driver that keeps what it is sent.
    impl Driver for Vec<Command> {
        fn send(&mut self, cmds: Vec<Command>) {
            self.extend(cmds);
        }
    }

    fn shell(lab: LabId) -> Shell<Vec<Command>> {
        let app = App::new(RunSpec::new(lab), ThemeName::Mono);
        Shell::start(app, Vec::new(), (120, 40))
    }

    fn key(name: &str) -> UiEvent {
        UiEvent::Key(parse_key(name).expect("a known key name"))
    }

    /// The commands sent since the last call.
    fn sent(shell: &mut Shell<Vec<Command>>) -> Vec<Command> {
        std::mem::take(shell.driver_mut())
    }

    #[test]
    fn an_event_sequence_gives_its_effects_and_commands() {
        let mut shell = shell(LabId::Mf);
        let start = sent(&mut shell);
        assert!(
            matches!(
                start.as_slice(),
                [Command::Load {
                    generation: 1,
                    paused: false,
                    ..
                }]
            ),
            "{start:?}"
        );
        // A key that only moves the selection asks nothing of anyone.
        assert_eq!(shell.handle(key("Down")), vec![]);
        assert!(sent(&mut shell).is_empty());
        // Space pauses the run (the worker hears it; the event loop has nothing to do).
        assert_eq!(shell.handle(key("Space")), vec![]);
        assert!(matches!(sent(&mut shell).as_slice(), [Command::Run(false)]));
        // Share copies the command; w with nothing drawn yet says so and writes nothing.
        let share = shell.handle(key("y"));
        assert!(
            matches!(share.as_slice(), [Effect::Clipboard(t)] if t.starts_with("gradscope tui --lab mf")),
            "{share:?}"
        );
        shell.handle(key("Esc"));
        assert_eq!(shell.handle(key("w")), vec![]);
        assert_eq!(shell.handle(key("R")), vec![Effect::ToggleRecording]);
        assert_eq!(shell.handle(key("Ctrl-z")), vec![Effect::Suspend]);
        assert_eq!(shell.handle(UiEvent::Suspend), vec![Effect::Suspend]);
        // A cue that cannot apply names its line; one that can sends its commands.
        let bad = shell.handle(UiEvent::Cue {
            line: 7,
            cue: Cue::Preset("no-such-preset".into()),
        });
        assert!(
            matches!(bad.as_slice(), [Effect::CueFailed { line: 7, message }] if message.contains("accepted")),
            "{bad:?}"
        );
        assert!(sent(&mut shell).is_empty());
        // A worker failure is an effect too (the demo player makes it its line's error).
        let failed = shell.handle(UiEvent::Worker(WorkerEvent::SweepDone {
            id: 99,
            error: Some("boom".into()),
        }));
        assert_eq!(
            failed,
            vec![Effect::WorkerFailed("the sweep failed: boom".into())]
        );
        // SIGTERM quits with 128 + 15 and stops the worker.
        assert_eq!(shell.handle(UiEvent::Terminate(15)), vec![]);
        assert!(shell.app().quit_requested());
        assert_eq!(shell.exit_code(), 143);
        assert!(matches!(sent(&mut shell).as_slice(), [Command::Shutdown]));
    }

    #[test]
    fn a_failed_start_puts_the_panel_back_and_restarts_nothing() {
        let mut shell = shell(LabId::Mf);
        let first = shell.app().lab().spec().clone();
        let report = crate::run::Runner::new(first.clone())
            .expect("mf's defaults are valid")
            .report();
        let progress = crate::tui::model::Progress {
            step: 0,
            total: 1,
            eta: None,
            rate: None,
        };
        shell.handle(UiEvent::Worker(WorkerEvent::Report {
            generation: 1,
            report: Box::new(report),
            state: crate::tui::model::RunState::Running,
            progress,
        }));
        shell.handle(key("n"));
        assert_eq!(shell.app().lab().seed(), first.seed + 1);
        sent(&mut shell);
        shell.handle(UiEvent::Worker(WorkerEvent::Failed {
            generation: 2,
            message: "cannot read it".into(),
        }));
        // The worker kept the last run that started (and reports it): nothing is re-sent,
        // and the panel shows that run's parameters again.
        assert!(sent(&mut shell).is_empty());
        assert_eq!(shell.app().lab().spec(), &first);
        assert_eq!(
            shell.app().message().map(|m| (m.text.as_str(), m.error)),
            Some(("cannot read it", true))
        );
        // A failure of a generation that was replaced changes nothing.
        shell.handle(key("n"));
        shell.handle(UiEvent::Worker(WorkerEvent::Failed {
            generation: 2,
            message: "late".into(),
        }));
        assert_eq!(shell.app().lab().seed(), first.seed + 1);
    }

    #[test]
    fn a_preset_cue_takes_the_keys_path() {
        for &lab in LabId::all() {
            for (i, preset) in lab.descriptor().presets.iter().enumerate() {
                let mut by_key = shell(lab);
                for _ in 0..=i {
                    by_key.handle(key("c"));
                }
                let mut by_cue = shell(lab);
                let effects = by_cue.handle(UiEvent::Cue {
                    line: 1,
                    cue: Cue::Preset(preset.name.into()),
                });
                assert_eq!(effects, vec![], "{}: {}", lab.name(), preset.name);
                let (k, c) = (by_key.app(), by_cue.app());
                assert_eq!(c.lab().spec(), k.lab().spec(), "{}", preset.name);
                assert_eq!(c.lab().preset_name(), Some(preset.name));
                assert_eq!(c.message(), k.message());
                assert!(c.message().is_some_and(|m| !m.error), "{:?}", c.message());
                let loaded = |cmds: Vec<Command>| match cmds.last() {
                    Some(Command::Load { spec, .. }) => Some(spec.clone()),
                    _ => None,
                };
                let by_cue = loaded(sent(&mut by_cue));
                assert!(by_cue.is_some());
                assert_eq!(by_cue, loaded(sent(&mut by_key)));
            }
        }
    }

    #[test]
    fn a_view_switch_is_ui_state_and_sends_nothing() {
        let mut shell = shell(LabId::Clip);
        sent(&mut shell);
        assert_eq!(shell.handle(key("v")), vec![]);
        assert!(sent(&mut shell).is_empty(), "the worker never hears of it");
        assert_eq!(shell.app().lab().view(), 1);
        let says = shell.app().message().map(|m| m.text.clone());
        assert!(says.is_some_and(|t| t.contains("tanh RNN")));
        // It survives a restart and a visit to another lab.
        shell.handle(key("r"));
        shell.handle(key("Tab"));
        shell.handle(key("Shift-Tab"));
        assert_eq!(shell.app().lab().view(), 1);
        shell.handle(key("v"));
        assert_eq!(shell.app().lab().view(), 0);
        // Elsewhere v says whose key it is.
        shell.handle(key("Tab"));
        shell.handle(key("v"));
        let says = shell.app().message().map(|m| m.text.clone());
        assert!(
            says.is_some_and(|t| t.contains("clip's view")),
            "{:?}",
            shell.app().message()
        );
    }
}
