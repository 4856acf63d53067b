//! The validation report: every finding of every layer, in one value.
//!
//! A [`Finding`] is one problem (or one remark) about the case: its
//! [`Severity`], its [`FindingKind`] from the structured-output error registry,
//! the [`Layer`] that found it, a human message, a [`FindingContext`] locating
//! it (file, entity, field, stage, row) and, when there is one, a suggestion.
//! A [`ValidationReport`] is the list of findings plus the layers that ran.

use std::fmt;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The case cannot be solved as written.
    Error,
    /// The case loads, but something looks wrong or is worth knowing.
    Warning,
}

/// The validation layer that produced a finding. Layers run in this order;
/// each one collects all of its findings before the next starts, and a later
/// layer only looks at what the earlier ones could read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// Files present, regular, non-empty, readable, UTF-8 (JSON) or Parquet.
    Structural,
    /// JSON syntax, types, required and unknown fields, enum values, ranges;
    /// Parquet column names, types, nulls, non-finite numbers; features of the
    /// format the solver does not model yet.
    Schema,
    /// Every id reference resolves; no duplicate ids or keys.
    Referential,
    /// Coverage: every stage × entity present where the format requires it;
    /// stage and block ids exist.
    Dimensional,
    /// Domain rules: bounds ordering, physical consistency, settings.
    Semantic,
}

impl Layer {
    /// Every layer, in execution order.
    pub const ALL: [Layer; 5] = [
        Layer::Structural,
        Layer::Schema,
        Layer::Referential,
        Layer::Dimensional,
        Layer::Semantic,
    ];

    /// Stable lower-case name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Layer::Structural => "structural",
            Layer::Schema => "schema",
            Layer::Referential => "referential",
            Layer::Dimensional => "dimensional",
            Layer::Semantic => "semantic",
        }
    }
}

/// The kind of a finding: the validation kinds of the structured-output
/// error registry, plus [`FindingKind::Unsupported`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum FindingKind {
    /// A required input file is missing.
    MissingFile,
    /// A file exists but cannot be read or parsed (empty, not UTF-8, a
    /// directory, malformed JSON, not Parquet).
    ParseError,
    /// A field or column does not conform to the format (missing required
    /// field, unknown field, missing column, null in a required column).
    SchemaViolation,
    /// A value has the wrong type.
    TypeMismatch,
    /// A number is outside its admissible range (including NaN and infinities).
    OutOfRange,
    /// A string is not one of the allowed values.
    InvalidEnum,
    /// An id (or key) appears more than once.
    DuplicateId,
    /// A reference names an entity that does not exist.
    MissingReference,
    /// Cross-file coverage is incomplete (an entity × stage without data).
    CoverageMismatch,
    /// A stage or block id is not part of the study, or stages are inconsistent.
    StageMismatch,
    /// Settings that cannot be used together.
    IncompatibleSettings,
    /// A physical rule is violated (cyclic cascade, storage outside its box…).
    PhysicalConstraint,
    /// Bounds are inconsistent (`min > max`).
    CapacityViolation,
    /// Penalties violate the recommended or required ordering.
    PenaltyConsistency,
    /// A feature of the format that this version of the solver does not model.
    Unsupported,
}

impl FindingKind {
    /// Stable identifier (the registry name).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            FindingKind::MissingFile => "MissingFile",
            FindingKind::ParseError => "ParseError",
            FindingKind::SchemaViolation => "SchemaViolation",
            FindingKind::TypeMismatch => "TypeMismatch",
            FindingKind::OutOfRange => "OutOfRange",
            FindingKind::InvalidEnum => "InvalidEnum",
            FindingKind::DuplicateId => "DuplicateId",
            FindingKind::MissingReference => "MissingReference",
            FindingKind::CoverageMismatch => "CoverageMismatch",
            FindingKind::StageMismatch => "StageMismatch",
            FindingKind::IncompatibleSettings => "IncompatibleSettings",
            FindingKind::PhysicalConstraint => "PhysicalConstraint",
            FindingKind::CapacityViolation => "CapacityViolation",
            FindingKind::PenaltyConsistency => "PenaltyConsistency",
            FindingKind::Unsupported => "Unsupported",
        }
    }
}

/// Implements `Display` as the type's stable `as_str` name.
macro_rules! display_as_str {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    )*};
}

display_as_str!(Layer, FindingKind);

/// Where a finding is located. Every field is optional; those that apply are set.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct FindingContext {
    /// File, relative to the case folder (`system/hydros.json`).
    pub file: Option<String>,
    /// Location inside the file: a JSON path (`hydros[2].reservoir.min_storage_hm3`)
    /// or a Parquet column name.
    pub path: Option<String>,
    /// Entity kind (`hydro`, `bus`, `stage`, …).
    pub entity_kind: Option<String>,
    /// Entity id as written in the case.
    pub entity_id: Option<i64>,
    /// Field or column name (the last component of `path` for JSON).
    pub field: Option<String>,
    /// Stage id, for stage-dependent findings.
    pub stage_id: Option<i32>,
    /// Parquet row (0-based), or JSON array index where no entity id applies.
    pub row: Option<usize>,
    /// Line in the file (1-based), for syntax errors.
    pub line: Option<usize>,
}

impl FindingContext {
    /// A context naming only a file.
    #[must_use]
    pub fn file(file: impl Into<String>) -> Self {
        Self {
            file: Some(file.into()),
            ..Self::default()
        }
    }

    /// Sets the entity kind and id.
    #[must_use]
    pub fn entity(mut self, kind: impl Into<String>, id: impl Into<i64>) -> Self {
        self.entity_kind = Some(kind.into());
        self.entity_id = Some(id.into());
        self
    }

    /// Sets the entity kind only.
    #[must_use]
    pub fn entity_kind(mut self, kind: impl Into<String>) -> Self {
        self.entity_kind = Some(kind.into());
        self
    }

    /// Sets the field (and the path, when none is set yet).
    #[must_use]
    pub fn field(mut self, field: impl Into<String>) -> Self {
        let f = field.into();
        if self.path.is_none() {
            self.path = Some(f.clone());
        }
        self.field = Some(f);
        self
    }

    /// Sets the location path inside the file.
    #[must_use]
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// Sets the stage id.
    #[must_use]
    pub fn stage(mut self, stage_id: i32) -> Self {
        self.stage_id = Some(stage_id);
        self
    }

    /// Sets the row.
    #[must_use]
    pub fn row(mut self, row: usize) -> Self {
        self.row = Some(row);
        self
    }

    /// Sets the line.
    #[must_use]
    pub fn line(mut self, line: usize) -> Self {
        self.line = Some(line);
        self
    }
}

/// One finding of the validation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// Error or warning.
    pub severity: Severity,
    /// Registry kind.
    pub kind: FindingKind,
    /// Layer that found it.
    pub layer: Layer,
    /// Human-readable description.
    pub message: String,
    /// Location.
    pub context: FindingContext,
    /// What to check or change, when a specific hint applies.
    pub suggestion: Option<String>,
}

impl Finding {
    /// A finding of `severity`.
    #[must_use]
    pub fn new(
        severity: Severity,
        kind: FindingKind,
        layer: Layer,
        context: FindingContext,
        message: impl Into<String>,
    ) -> Self {
        Self {
            severity,
            kind,
            layer,
            message: message.into(),
            context,
            suggestion: None,
        }
    }

    /// An error finding ([`Self::new`] with [`Severity::Error`]).
    #[must_use]
    pub fn error(
        kind: FindingKind,
        layer: Layer,
        context: FindingContext,
        message: impl Into<String>,
    ) -> Self {
        Self::new(Severity::Error, kind, layer, context, message)
    }

    /// Attaches a suggestion.
    #[must_use]
    pub fn suggest(mut self, suggestion: impl Into<String>) -> Self {
        self.suggestion = Some(suggestion.into());
        self
    }

    /// Whether this finding is an error.
    #[must_use]
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{sev}[{}]", self.kind)?;
        if let Some(file) = &self.context.file {
            write!(f, " {file}")?;
            if let Some(p) = &self.context.path {
                write!(f, ":{p}")?;
            }
        }
        write!(f, ": {}", self.message)?;
        if let Some(s) = &self.suggestion {
            write!(f, " (hint: {s})")?;
        }
        Ok(())
    }
}

/// Every finding of one validation run, and the layers that ran.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ValidationReport {
    /// Findings in the order they were found (layer by layer).
    pub findings: Vec<Finding>,
    /// Layers that ran to completion, in order.
    pub layers_completed: Vec<Layer>,
}

impl ValidationReport {
    /// True when no finding is an error (warnings allowed).
    #[must_use]
    pub fn is_valid(&self) -> bool {
        !self.findings.iter().any(Finding::is_error)
    }

    /// The error findings.
    pub fn errors(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.is_error())
    }

    /// The warning findings.
    pub fn warnings(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| !f.is_error())
    }

    /// Number of errors.
    #[must_use]
    pub fn error_count(&self) -> usize {
        self.errors().count()
    }

    /// Number of warnings.
    #[must_use]
    pub fn warning_count(&self) -> usize {
        self.warnings().count()
    }

    /// Findings of one kind.
    pub fn of_kind(&self, kind: FindingKind) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.kind == kind)
    }

    /// Whether some finding has this kind.
    #[must_use]
    pub fn has_kind(&self, kind: FindingKind) -> bool {
        self.of_kind(kind).next().is_some()
    }
}

impl fmt::Display for ValidationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} error(s), {} warning(s); layers completed: {}",
            self.error_count(),
            self.warning_count(),
            self.layers_completed
                .iter()
                .map(|l| l.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )?;
        for finding in &self.findings {
            writeln!(f, "  {finding}")?;
        }
        Ok(())
    }
}

/// Findings collected while a layer runs, with a cap on repeated
/// per-row findings so a broken column of a million rows yields a readable
/// report.
#[derive(Debug, Default)]
pub(crate) struct Sink {
    findings: Vec<Finding>,
}

impl Sink {
    pub(crate) fn push(&mut self, f: Finding) {
        self.findings.push(f);
    }

    pub(crate) fn into_findings(self) -> Vec<Finding> {
        self.findings
    }
}
