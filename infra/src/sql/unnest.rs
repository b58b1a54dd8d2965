//! Bulk INSERTs for PostgreSQL as one array per column, unnested.
//!
//! A multi-row `VALUES` list of 500 rows binds one parameter per value
//! (12,000 for a chunk of posts), and PostgreSQL plans and evaluates an
//! expression for each; the same rows as a few dozen array parameters cost
//! it far less, and building them costs SMRM less too. SQLite has no arrays:
//! its INSERTs stay `VALUES` lists.
//!
//! sea-query binds an array's elements without NULLs, so a nullable column
//! travels as its values (a placeholder where NULL) and a mask of NULLs.
//! Rows are inserted in the arrays' order, which is what keeps writers that
//! sort their rows from deadlocking.

use sea_orm::sea_query::{ArrayType, Value};
use sea_orm::{DbBackend, Statement};

/// The columns of an `INSERT … SELECT … FROM (SELECT unnest(…), …)`, in order.
pub(crate) struct Unnest {
    table: &'static str,
    /// The table's columns, and what is inserted into each.
    columns: Vec<&'static str>,
    selected: Vec<String>,
    /// The unnested arrays: their names in the subquery, types and values.
    aliases: Vec<String>,
    types: Vec<&'static str>,
    arrays: Vec<Value>,
}

impl Unnest {
    pub(crate) fn into(table: &'static str) -> Self {
        Self {
            table,
            columns: Vec::new(),
            selected: Vec::new(),
            aliases: Vec::new(),
            types: Vec::new(),
            arrays: Vec::new(),
        }
    }

    fn array<T: Into<Value>>(&mut self, alias: String, pg_type: &'static str, ty: ArrayType, values: Vec<T>) {
        self.aliases.push(alias);
        self.types.push(pg_type);
        self.arrays.push(Value::Array(ty, Some(Box::new(values.into_iter().map(Into::into).collect()))));
    }

    /// A column of non-null values of the PostgreSQL type `pg_type`.
    pub(crate) fn column<T: Into<Value>>(
        mut self,
        name: &'static str,
        pg_type: &'static str,
        ty: ArrayType,
        values: impl Iterator<Item = T>,
    ) -> Self {
        self.columns.push(name);
        self.selected.push(format!("t.{name}"));
        self.array(name.to_owned(), pg_type, ty, values.collect());
        self
    }

    /// A nullable column: `placeholder` stands for NULL in the values.
    pub(crate) fn nullable<T: Into<Value> + Clone>(
        mut self,
        name: &'static str,
        pg_type: &'static str,
        ty: ArrayType,
        placeholder: T,
        values: impl Iterator<Item = Option<T>>,
    ) -> Self {
        let (values, nulls): (Vec<T>, Vec<bool>) =
            values.map(|v| v.map_or_else(|| (placeholder.clone(), true), |v| (v, false))).unzip();
        self.columns.push(name);
        self.selected.push(format!("CASE WHEN t.{name}_null THEN NULL ELSE t.{name} END"));
        self.array(name.to_owned(), pg_type, ty, values);
        self.array(format!("{name}_null"), "bool", ArrayType::Bool, nulls);
        self
    }

    /// A `jsonb` column, sent as text and cast.
    pub(crate) fn json(mut self, name: &'static str, values: impl Iterator<Item = String>) -> Self {
        self = self.column(name, "text", ArrayType::String, values);
        if let Some(last) = self.selected.last_mut() {
            last.push_str("::jsonb");
        }
        self
    }

    /// The statement, with `tail` (an `ON CONFLICT` clause, `RETURNING`…)
    /// after it.
    ///
    /// The arrays are unnested in the select list, side by side (a
    /// `ProjectSet`), not in `FROM unnest(a, b, …)`: a function in `FROM`
    /// is materialised into a tuple store before the first row is inserted,
    /// which took PostgreSQL about twice as long for the same rows.
    pub(crate) fn statement(self, tail: &str) -> Statement {
        let unnested: Vec<String> = self
            .types
            .iter()
            .zip(&self.aliases)
            .enumerate()
            .map(|(i, (ty, alias))| format!("unnest(${}::{ty}[]) AS {alias}", i + 1))
            .collect();
        let sql = format!(
            "INSERT INTO {table} ({columns}) SELECT {selected} FROM (SELECT {unnested}) AS t {tail}",
            table = self.table,
            columns = self.columns.join(", "),
            selected = self.selected.join(", "),
            unnested = unnested.join(", "),
        );
        Statement::from_sql_and_values(DbBackend::Postgres, sql, self.arrays)
    }
}
