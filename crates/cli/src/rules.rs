//! `casebook rules check`: for IT, which service rules and bank holidays a laptop's data folder
//! gives, where each came from, and every file there that Casebook could not use (it falls back
//! to the rules it shipped with, so a broken file would otherwise go unnoticed). Reads only the
//! rules files, never the encrypted store, so it needs no passphrase.

use super::{data_dir, print, Cli, CliResult, Failure};
use casebook_store::RulesInUse;
use clap::Subcommand;

#[derive(Subcommand)]
pub(crate) enum RulesCommand {
    /// List the services and bank holidays in use and every file in the data folder that could
    /// not be used, with what to fix. Exits non-zero when there is any such file.
    Check,
}

pub(crate) fn run(cli: &Cli, command: &RulesCommand) -> CliResult<()> {
    match command {
        RulesCommand::Check => check(cli),
    }
}

fn check(cli: &Cli) -> CliResult<()> {
    let dir = data_dir(cli)?;
    if !dir.is_dir() {
        return Err(Failure(format!("There is no folder {}; check the folder given with --data.", dir.display())));
    }
    let rules = RulesInUse::read(&dir);
    print(cli.json, &rules, human);
    match rules.problems.len() {
        0 => Ok(()),
        n => Err(Failure(format!(
            "Casebook could not use {} in {}, so it is using its built-in rules instead; each problem is listed with what to fix.",
            if n == 1 { "one file".to_string() } else { format!("{n} files") },
            dir.display()
        ))),
    }
}

fn human(rules: &RulesInUse) -> String {
    let mut out = vec![format!("Rules in use for {}", rules.data_dir), String::new(), "Services that can be chosen for a referral:".into()];
    let id_width = rules.profiles.iter().map(|p| p.id.chars().count()).max().unwrap_or(0);
    let name_width = rules.profiles.iter().map(|p| p.name.chars().count()).max().unwrap_or(0);
    for p in &rules.profiles {
        let source = match &p.file {
            Some(file) => format!("from {file}"),
            None => "shipped with Casebook".into(),
        };
        out.push(format!("  {:id_width$}  {:name_width$}  {source}", p.id, p.name));
    }
    out.push(String::new());
    out.push(match (&rules.bank_holidays.file, rules.bank_holidays.file_years) {
        (Some(file), Some((first, last))) => format!(
            "Bank holidays: from {file} for {}; other years by the England and Wales rule shipped with Casebook.",
            if first == last { first.to_string() } else { format!("{first} to {last}") }
        ),
        (Some(file), None) => format!("Bank holidays: from {file}."),
        (None, _) => "Bank holidays: the England and Wales rule and list shipped with Casebook.".into(),
    });
    out.push(String::new());
    if rules.problems.is_empty() {
        out.push("No problems: every rules file in the data folder is in use.".into());
    } else {
        out.push("Problems:".into());
        out.extend(rules.problems.iter().map(|p| format!("  - {p}")));
    }
    out.join("\n")
}
