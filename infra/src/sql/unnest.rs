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
///
/// A column whose rows all hold the same value (the tenant, the batch's
/// timestamps, a status every new row starts with) is bound once as a
/// scalar, and a nullable column that is NULL in every row is a literal
/// NULL: neither is built, copied, encoded or unnested per row.
pub(crate) struct Unnest {
    table: &'static str,
    /// The table's columns, and what is inserted into each.
    columns: Vec<&'static str>,
    selected: Vec<String>,
    /// The unnested arrays: their names in the subquery, types and
    /// parameter numbers.
    unnested: Vec<(String, &'static str, usize)>,
    /// The parameters, arrays and scalars, in their numbers' order.
    params: Vec<Value>,
    /// The number of rows (every array's length).
    rows: usize,
}

impl Unnest {
    pub(crate) fn into(table: &'static str) -> Self {
        Self { table, columns: Vec::new(), selected: Vec::new(), unnested: Vec::new(), params: Vec::new(), rows: 0 }
    }

    /// Binds `value` and returns its parameter number.
    fn bind(&mut self, value: Value) -> usize {
        self.params.push(value);
        self.params.len()
    }

    fn array<T: Into<Value>>(&mut self, alias: String, pg_type: &'static str, ty: ArrayType, values: Vec<T>) {
        self.rows = values.len();
        let n = self.bind(Value::Array(ty, Some(Box::new(values.into_iter().map(Into::into).collect()))));
        self.unnested.push((alias, pg_type, n));
    }

    /// A column of non-null values of the PostgreSQL type `pg_type`.
    pub(crate) fn column<T: Into<Value> + PartialEq>(
        mut self,
        name: &'static str,
        pg_type: &'static str,
        ty: ArrayType,
        values: impl Iterator<Item = T>,
    ) -> Self {
        let mut values: Vec<T> = values.collect();
        self.columns.push(name);
        if values.len() > 1 && values.iter().all(|v| *v == values[0]) {
            self.rows = values.len();
            values.truncate(1);
            let n = self.bind(values.pop().expect("one value").into());
            self.selected.push(format!("${n}::{pg_type}"));
        } else {
            self.selected.push(format!("t.{name}"));
            self.array(name.to_owned(), pg_type, ty, values);
        }
        self
    }

    /// A nullable column: `placeholder` stands for NULL in the values when
    /// some rows have one and others not.
    pub(crate) fn nullable<T: Into<Value> + Clone + PartialEq>(
        mut self,
        name: &'static str,
        pg_type: &'static str,
        ty: ArrayType,
        placeholder: T,
        values: impl Iterator<Item = Option<T>>,
    ) -> Self {
        let values: Vec<Option<T>> = values.collect();
        if values.iter().all(Option::is_some) {
            return self.column(name, pg_type, ty, values.into_iter().flatten());
        }
        self.columns.push(name);
        self.rows = values.len();
        if values.iter().all(Option::is_none) {
            self.selected.push(format!("NULL::{pg_type}"));
            return self;
        }
        let (values, nulls): (Vec<T>, Vec<bool>) =
            values.into_iter().map(|v| v.map_or_else(|| (placeholder.clone(), true), |v| (v, false))).unzip();
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
        let rows = if self.unnested.is_empty() {
            // Every column the same in all rows: one row, or (only for a
            // table without a key) several identical ones.
            format!("SELECT FROM generate_series(1, {})", self.rows)
        } else {
            let unnested: Vec<String> =
                self.unnested.iter().map(|(alias, ty, n)| format!("unnest(${n}::{ty}[]) AS {alias}")).collect();
            format!("SELECT {}", unnested.join(", "))
        };
        let sql = format!(
            "INSERT INTO {table} ({columns}) SELECT {selected} FROM ({rows}) AS t {tail}",
            table = self.table,
            columns = self.columns.join(", "),
            selected = self.selected.join(", "),
        );
        Statement::from_sql_and_values(DbBackend::Postgres, sql, self.params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_columns_are_bound_once_and_all_null_ones_are_literals() {
        let s = Unnest::into("t")
            .column("tenant", "uuid", ArrayType::Int, [7, 7, 7].into_iter())
            .column("id", "int4", ArrayType::Int, [1, 2, 3].into_iter())
            .nullable("note", "text", ArrayType::String, String::new(), [None::<String>, None, None].into_iter())
            .nullable("name", "text", ArrayType::String, String::new(), [Some("a".to_owned()), None, None].into_iter())
            .nullable("likes", "int8", ArrayType::BigInt, 0i64, [Some(1i64), Some(2), Some(3)].into_iter())
            .statement("");
        assert_eq!(
            s.sql,
            "INSERT INTO t (tenant, id, note, name, likes) SELECT $1::uuid, t.id, NULL::text, \
             CASE WHEN t.name_null THEN NULL ELSE t.name END, t.likes FROM (SELECT unnest($2::int4[]) AS id, \
             unnest($3::text[]) AS name, unnest($4::bool[]) AS name_null, unnest($5::int8[]) AS likes) AS t "
        );
        assert_eq!(s.values.as_ref().map(|v| v.0.len()), Some(5));
    }

    #[test]
    fn rows_alike_in_every_column_still_count() {
        let s = Unnest::into("t").column("a", "int4", ArrayType::Int, [1, 1].into_iter()).statement("");
        assert_eq!(s.sql, "INSERT INTO t (a) SELECT $1::int4 FROM (SELECT FROM generate_series(1, 2)) AS t ");
        let one = Unnest::into("t").column("a", "int4", ArrayType::Int, [5].into_iter()).statement("");
        assert_eq!(one.sql, "INSERT INTO t (a) SELECT t.a FROM (SELECT unnest($1::int4[]) AS a) AS t ");
    }
}
