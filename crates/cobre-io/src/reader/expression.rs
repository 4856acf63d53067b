//! Parser of generic-constraint expressions.
//!
//! Supported: a linear combination of catalog variables with literal
//! coefficients, `+`/`-`, and parenthesised groups optionally scaled by a
//! literal (`2 * (a - b)`). Variables are `name(entity_id)` or
//! `name(entity_id, block_id)`. `@name` is a scalar parameter of
//! `generic_parameters.json`, which multiplies what follows it
//! (`@rho * hydro_storage(3)`, `@a * (x + y)`, `@a * @b * x`), or a named
//! expression of `generic_constraints.json`, expanded in place
//! (`2 * @stored_energy`). Constructs of the 0.18 grammar the model cannot
//! hold (inline relations, `bus=` selectors, variables without a model
//! counterpart) are returned as refusals, so the reader reports them as
//! `Unsupported`.

use crate::capabilities::Feature;
use crate::util::did_you_mean;
use cobre_core::{
    BusId, HydroId, LineId, LinearTerm, NcsId, ParameterValue, PumpingStationId, ScalarParameter,
    ThermalId, VariableRef,
};
use std::collections::BTreeMap;

/// What `@name` can refer to.
#[derive(Debug, Default)]
pub(crate) struct Names {
    /// Parameter positions (in `list`) by name.
    pub params: BTreeMap<String, u32>,
    /// Named expressions (their text) by name.
    pub expressions: BTreeMap<String, String>,
    /// The parameter list; a product of several parameters is appended to it.
    pub list: Vec<ScalarParameter>,
}

impl Names {
    /// The parameter a term multiplied by every one of `params` refers to.
    fn product(&mut self, params: &[u32]) -> Option<u32> {
        match params {
            [] => None,
            [one] => Some(*one),
            many => {
                let mut key = many.to_vec();
                key.sort_unstable();
                let found = self
                    .list
                    .iter()
                    .position(|p| p.value == ParameterValue::Product(key.clone()));
                let at = found.unwrap_or_else(|| {
                    let name = key
                        .iter()
                        .map(|i| {
                            self.list
                                .get(*i as usize)
                                .map_or_else(String::new, |p| format!("@{}", p.name))
                        })
                        .collect::<Vec<_>>()
                        .join(" * ");
                    self.list.push(ScalarParameter {
                        id: None,
                        name,
                        value: ParameterValue::Product(key),
                    });
                    self.list.len() - 1
                });
                u32::try_from(at).ok()
            }
        }
    }
}

/// Variable names of the 0.18 catalog that the model holds.
const SUPPORTED: [&str; 21] = [
    "thermal_generation",
    "hydro_generation",
    "hydro_turbined",
    "hydro_spillage",
    "hydro_outflow",
    "hydro_diversion",
    "hydro_storage",
    "hydro_storage_final",
    "hydro_storage_initial",
    "hydro_evaporation",
    "hydro_withdrawal",
    "line_exchange",
    "line_direct",
    "line_reverse",
    "bus_deficit",
    "bus_excess",
    "non_controllable_generation",
    "hydro_useful_volume_initial",
    "hydro_useful_volume_final",
    "pumping_flow",
    "pumping_power",
];

/// Variable names of the 0.18 catalog without a model counterpart.
const REFUSED: [&str; 6] = [
    "hydro_inflow",
    "non_controllable_curtailment",
    "contract_import",
    "contract_export",
    "anticipated_decision",
    "hydro_useful_volume",
];

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Ident(String),
    LParen,
    RParen,
    Comma,
    Plus,
    Minus,
    Star,
    At,
    Rel(&'static str),
    Eq,
}

fn tokenize(s: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        match c {
            ' ' | '\t' | '\n' | '\r' => i += 1,
            '(' => {
                out.push(Tok::LParen);
                i += 1;
            }
            ')' => {
                out.push(Tok::RParen);
                i += 1;
            }
            ',' => {
                out.push(Tok::Comma);
                i += 1;
            }
            '+' => {
                out.push(Tok::Plus);
                i += 1;
            }
            '-' => {
                out.push(Tok::Minus);
                i += 1;
            }
            '*' => {
                out.push(Tok::Star);
                i += 1;
            }
            '@' => {
                out.push(Tok::At);
                i += 1;
            }
            '<' | '>' | '=' => {
                let next = chars.get(i + 1).copied();
                match (c, next) {
                    ('<', Some('=')) => out.push(Tok::Rel("<=")),
                    ('>', Some('=')) => out.push(Tok::Rel(">=")),
                    ('=', Some('=')) => out.push(Tok::Rel("==")),
                    ('=', _) => {
                        out.push(Tok::Eq);
                        i += 1;
                        continue;
                    }
                    _ => return Err(format!("`{c}` at position {i}: use <=, >= or ==")),
                }
                i += 2;
            }
            c if c.is_ascii_digit() || c == '.' => {
                let start = i;
                while let Some(&d) = chars.get(i) {
                    let exp_sign = (d == '+' || d == '-')
                        && matches!(chars.get(i.wrapping_sub(1)), Some('e' | 'E'));
                    if d.is_ascii_digit() || d == '.' || d == 'e' || d == 'E' || exp_sign {
                        i += 1;
                    } else {
                        break;
                    }
                }
                let text: String = chars.get(start..i).unwrap_or_default().iter().collect();
                let v: f64 = text
                    .parse()
                    .map_err(|_| format!("`{text}` at position {start} is not a number"))?;
                if !v.is_finite() {
                    return Err(format!(
                        "`{text}` at position {start} is not a finite number"
                    ));
                }
                out.push(Tok::Num(v));
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let start = i;
                while let Some(&d) = chars.get(i) {
                    if d.is_ascii_alphanumeric() || d == '_' {
                        i += 1;
                    } else {
                        break;
                    }
                }
                out.push(Tok::Ident(
                    chars.get(start..i).unwrap_or_default().iter().collect(),
                ));
            }
            other => return Err(format!("unexpected character `{other}` at position {i}")),
        }
    }
    Ok(out)
}

/// The result of parsing an expression.
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    /// Linear terms, in order.
    pub terms: Vec<LinearTerm>,
    /// Constructs the model cannot hold: `(feature, what)`.
    pub refused: Vec<(Feature, String)>,
}

struct Parser<'n> {
    toks: Vec<Tok>,
    pos: usize,
    out: Parsed,
    depth: usize,
    names: &'n mut Names,
    /// Named expressions being expanded (to report a cycle).
    stack: Vec<String>,
}

const MAX_DEPTH: usize = 64;

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn consume(&mut self, t: &Tok, what: &str) -> Result<(), String> {
        match self.next() {
            Some(ref x) if x == t => Ok(()),
            Some(x) => Err(format!("expected {what}, found {x:?}")),
            None => Err(format!("expected {what}, found the end of the expression")),
        }
    }

    fn int(&mut self, what: &str) -> Result<i32, String> {
        let neg = if self.peek() == Some(&Tok::Minus) {
            self.pos += 1;
            true
        } else {
            false
        };
        match self.next() {
            Some(Tok::Num(v)) if v.fract() == 0.0 && v.abs() <= f64::from(i32::MAX) => {
                #[allow(clippy::cast_possible_truncation)]
                let i = v as i32;
                Ok(if neg { -i } else { i })
            }
            other => Err(format!("expected an integer {what}, found {other:?}")),
        }
    }

    /// `expr := [+|-] term ((+|-) term)*`
    fn expr(&mut self, scale: f64, params: &[u32]) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err("expression nested too deeply".into());
        }
        let mut sign = 1.0;
        match self.peek() {
            Some(Tok::Minus) => {
                sign = -1.0;
                self.pos += 1;
            }
            Some(Tok::Plus) => self.pos += 1,
            _ => {}
        }
        self.term(scale * sign, params)?;
        loop {
            match self.peek() {
                Some(Tok::Plus) => {
                    self.pos += 1;
                    self.term(scale, params)?;
                }
                Some(Tok::Minus) => {
                    self.pos += 1;
                    self.term(-scale, params)?;
                }
                _ => break,
            }
        }
        self.depth -= 1;
        Ok(())
    }

    fn term(&mut self, scale: f64, params: &[u32]) -> Result<(), String> {
        match self.peek().cloned() {
            Some(Tok::Num(c)) => {
                self.pos += 1;
                if self.peek() == Some(&Tok::Star) {
                    self.pos += 1;
                    self.factor(scale * c, params)
                } else {
                    Err(format!(
                        "a constant ({c}) cannot stand alone in an expression without a relation"
                    ))
                }
            }
            _ => self.factor(scale, params),
        }
    }

    /// `factor := variable | '(' expr ')' | '@' param '*' factor | '@' expression`
    fn factor(&mut self, scale: f64, params: &[u32]) -> Result<(), String> {
        match self.next() {
            Some(Tok::LParen) => {
                self.expr(scale, params)?;
                self.consume(&Tok::RParen, "`)`")
            }
            Some(Tok::At) => {
                let name = match self.next() {
                    Some(Tok::Ident(n)) => n,
                    other => return Err(format!("expected a name after `@`, found {other:?}")),
                };
                if let Some(&p) = self.names.params.get(&name) {
                    if self.peek() != Some(&Tok::Star) {
                        return Err(format!(
                            "the parameter `@{name}` must multiply a variable or a group (`@{name} * …`)"
                        ));
                    }
                    self.pos += 1;
                    let mut with = params.to_vec();
                    with.push(p);
                    return self.factor(scale, &with);
                }
                let Some(text) = self.names.expressions.get(&name).cloned() else {
                    let mut known: Vec<&str> = self
                        .names
                        .params
                        .keys()
                        .chain(self.names.expressions.keys())
                        .map(String::as_str)
                        .collect();
                    known.sort_unstable();
                    return Err(format!(
                        "`@{name}` is neither a parameter of `generic_parameters.json` nor a named expression: {}",
                        did_you_mean(&name, &known)
                    ));
                };
                if self.stack.contains(&name) {
                    return Err(format!(
                        "the named expression `@{name}` refers to itself (through {})",
                        self.stack.join(" → ")
                    ));
                }
                let toks = tokenize(&text).map_err(|e| format!("in `@{name}`: {e}"))?;
                if toks.iter().any(|t| matches!(t, Tok::Rel(_))) {
                    return Err(format!(
                        "the named expression `@{name}` holds a relation (<=, >=, ==)"
                    ));
                }
                let saved_toks = std::mem::replace(&mut self.toks, toks);
                let saved_pos = std::mem::replace(&mut self.pos, 0);
                self.stack.push(name.clone());
                let result = self.expr(scale, params).and_then(|()| match self.peek() {
                    Some(t) => Err(format!("in `@{name}`: unexpected {t:?}")),
                    None => Ok(()),
                });
                self.stack.pop();
                self.toks = saved_toks;
                self.pos = saved_pos;
                result
            }
            Some(Tok::Ident(name)) => self.variable(&name, scale, params),
            Some(other) => Err(format!("unexpected {other:?}")),
            None => Err("unexpected end of the expression".into()),
        }
    }

    fn variable(&mut self, name: &str, scale: f64, params: &[u32]) -> Result<(), String> {
        self.consume(&Tok::LParen, &format!("`(` after `{name}`"))?;
        if matches!(self.peek(), Some(Tok::Ident(_))) {
            // Named argument (`source_bus=`, `bus=`): skip to the closing parenthesis.
            while let Some(t) = self.next() {
                if t == Tok::RParen {
                    break;
                }
            }
            self.out.refused.push((
                Feature::GenericVariables,
                format!("named arguments in `{name}(…)`"),
            ));
            return Ok(());
        }
        let id = self.int("entity id")?;
        let mut block = None;
        let mut named = false;
        while self.peek() == Some(&Tok::Comma) {
            self.pos += 1;
            if matches!(self.peek(), Some(Tok::Ident(_))) {
                // `bus=n`
                self.pos += 1;
                self.consume(&Tok::Eq, "`=`")?;
                self.int("bus id")?;
                named = true;
            } else if block.is_none() && !named {
                block = Some(self.int("block id")?);
            } else {
                return Err(format!("too many arguments to `{name}`"));
            }
        }
        self.consume(&Tok::RParen, &format!("`)` closing `{name}(…)`"))?;
        if named {
            self.out.refused.push((
                Feature::GenericVariables,
                format!("the `bus=` selector of `{name}`"),
            ));
        }
        if let Some(b) = block.filter(|b| *b < 0) {
            return Err(format!("block id {b} of `{name}` must be ≥ 0"));
        }
        let h = HydroId(id);
        let variable = match name {
            "thermal_generation" => VariableRef::ThermalGeneration(ThermalId(id)),
            "hydro_generation" => VariableRef::HydroGeneration(h),
            "hydro_turbined" => VariableRef::HydroTurbined(h),
            "hydro_spillage" => VariableRef::HydroSpillage(h),
            "hydro_outflow" => VariableRef::HydroOutflow(h),
            "hydro_diversion" => VariableRef::HydroDiversion(h),
            "hydro_evaporation" => VariableRef::HydroEvaporation(h),
            "line_exchange" => VariableRef::LineFlow(LineId(id)),
            "line_direct" => VariableRef::LineFlowDirect(LineId(id)),
            "line_reverse" => VariableRef::LineFlowReverse(LineId(id)),
            "bus_deficit" => VariableRef::BusDeficit(BusId(id)),
            "bus_excess" => VariableRef::BusExcess(BusId(id)),
            "non_controllable_generation" => VariableRef::NcsGeneration(NcsId(id)),
            "pumping_flow" => VariableRef::PumpingFlow(PumpingStationId(id)),
            "pumping_power" => VariableRef::PumpingPower(PumpingStationId(id)),
            "hydro_storage" | "hydro_withdrawal" => {
                if block.is_some() {
                    return Err(format!(
                        "`{name}` is a stage quantity and takes no block argument"
                    ));
                }
                if name == "hydro_storage" {
                    VariableRef::HydroStorage(h)
                } else {
                    VariableRef::HydroWithdrawal(h)
                }
            }
            "hydro_storage_final" | "hydro_storage_initial" => {
                if block.is_some() {
                    self.out.refused.push((
                        Feature::GenericVariables,
                        format!("per-block storage `{name}(…, block)`"),
                    ));
                    return Ok(());
                }
                if name == "hydro_storage_final" {
                    VariableRef::HydroStorage(h)
                } else {
                    VariableRef::HydroStorageIn(h)
                }
            }
            other if REFUSED.contains(&other) || other.starts_with("hydro_useful_volume") => {
                self.out
                    .refused
                    .push((Feature::GenericVariables, format!("the variable `{other}`")));
                return Ok(());
            }
            other => {
                let mut known: Vec<&str> = SUPPORTED.to_vec();
                known.extend(REFUSED);
                return Err(format!(
                    "unknown variable `{other}`: {}",
                    did_you_mean(other, &known)
                ));
            }
        };
        let parameter = self.names.product(params);
        self.out.terms.push(LinearTerm {
            coefficient: scale,
            variable,
            block,
            parameter,
        });
        Ok(())
    }
}

/// Parses an expression, resolving `@name` through `names`. `Err` is a
/// syntax or reference error (message for the user).
pub(crate) fn parse(expression: &str, names: &mut Names) -> Result<Parsed, String> {
    let toks = tokenize(expression)?;
    if toks.is_empty() {
        return Err("the expression is empty".into());
    }
    let rel = toks.iter().position(|t| matches!(t, Tok::Rel(_)));
    let (lhs, has_rel) = match rel {
        Some(p) => (toks.get(..p).unwrap_or_default().to_vec(), true),
        None => (toks, false),
    };
    let mut p = Parser {
        toks: lhs,
        pos: 0,
        out: Parsed::default(),
        depth: 0,
        names,
        stack: Vec::new(),
    };
    if has_rel {
        p.out.refused.push((
            Feature::InlineConstraintBounds,
            "an inline relation (<=, >=, ==) in the expression".into(),
        ));
        if p.toks.is_empty() {
            return Ok(p.out);
        }
    }
    p.expr(1.0, &[])?;
    if let Some(t) = p.peek() {
        return Err(format!("unexpected {t:?} after a complete expression"));
    }
    Ok(p.out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_coefficients_groups_and_blocks() {
        let p = parse(
            "2.5 * thermal_generation(5) - 2*(hydro_generation(3, 1) + line_exchange(0))",
            &mut Names::default(),
        )
        .unwrap();
        assert!(p.refused.is_empty());
        assert_eq!(p.terms.len(), 3);
        assert_eq!(p.terms[0].coefficient, 2.5);
        assert_eq!(
            p.terms[1].variable,
            VariableRef::HydroGeneration(HydroId(3))
        );
        assert_eq!(p.terms[1].coefficient, -2.0);
        assert_eq!(p.terms[1].block, Some(1));
        assert_eq!(p.terms[2].variable, VariableRef::LineFlow(LineId(0)));
    }

    #[test]
    fn reports_unknown_variables_and_syntax_errors() {
        let n = &mut Names::default();
        assert!(parse("thermal_generaton(0)", n)
            .unwrap_err()
            .contains("thermal_generation"));
        assert!(parse("thermal_generation(0", n).is_err());
        assert!(parse("3", n).is_err());
        assert!(parse("hydro_storage(1, 0)", n).is_err());
        assert!(parse("", n).is_err());
        assert!(parse("@rho * hydro_turbined(1)", n)
            .unwrap_err()
            .contains("neither a parameter"));
    }

    #[test]
    fn refuses_what_the_model_cannot_hold() {
        let n = &mut Names::default();
        let p = parse("thermal_generation(0) <= 5", n).unwrap();
        assert_eq!(p.refused[0].0, Feature::InlineConstraintBounds);
        let p = parse("hydro_inflow(1)", n).unwrap();
        assert_eq!(p.refused[0].0, Feature::GenericVariables);
    }

    fn names() -> Names {
        let param = |name: &str, v: f64| ScalarParameter {
            id: Some(0),
            name: name.into(),
            value: ParameterValue::Constant(v),
        };
        let mut n = Names {
            list: vec![param("a", 2.0), param("b", 3.0)],
            ..Names::default()
        };
        n.params.insert("a".into(), 0);
        n.params.insert("b".into(), 1);
        n.expressions
            .insert("e".into(), "@a * hydro_storage(1) - line_direct(2)".into());
        n.expressions.insert("loop".into(), "2 * @loop".into());
        n
    }

    #[test]
    fn parameters_multiply_what_follows_them_and_expressions_expand_in_place() {
        let mut n = names();
        let p = parse(
            "@b * (hydro_turbined(4) + @a * line_direct(0)) + 3 * @e",
            &mut n,
        )
        .unwrap();
        assert!(p.refused.is_empty());
        let got: Vec<(f64, Option<u32>)> = p
            .terms
            .iter()
            .map(|t| (t.coefficient, t.parameter))
            .collect();
        // @b·q4, (@a·@b)·l0, 3·@a·v1, −3·l2.
        assert_eq!(got[0], (1.0, Some(1)));
        assert_eq!(got[1].0, 1.0);
        assert_eq!(got[2], (3.0, Some(0)));
        assert_eq!(got[3], (-3.0, None));
        let product = got[1].1.unwrap() as usize;
        assert_eq!(n.list[product].value, ParameterValue::Product(vec![0, 1]));
        assert_eq!(n.list.len(), 3, "the product is registered once");
        parse("@a * @b * hydro_turbined(1)", &mut n).unwrap();
        assert_eq!(n.list.len(), 3);
    }

    #[test]
    fn bad_parameter_uses_are_errors() {
        let mut n = names();
        assert!(parse("@a + hydro_turbined(1)", &mut n)
            .unwrap_err()
            .contains("must multiply"));
        assert!(parse("@loop", &mut n)
            .unwrap_err()
            .contains("refers to itself"));
        assert!(parse("@c * hydro_turbined(1)", &mut n)
            .unwrap_err()
            .contains("neither"));
    }
}
