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
//!
//! On Citus an `INSERT … SELECT` from arrays is planned "pull to
//! coordinator": the coordinator evaluates the rows and copies them into the
//! tenant's shard. The same rows as `VALUES` lists ([`BatchForm::Values`],
//! `SMRM_BATCH_INSERTS=values`), all of one tenant, are routed whole to that
//! shard instead, but Citus spends about 36 µs a row routing and deparsing a
//! multi-row `VALUES` (in psql: 3,000 rows of 6 columns in ~110 ms, against
//! ~25 ms for the same rows from `generate_series`, whatever the chunk size),
//! and ingest ran at a third of the speed (README, "Scale-out"): arrays are
//! the default on Citus too.

use sea_orm::sea_query::{ArrayType, Value};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, QueryResult, Statement};

/// How a batch INSERT is written on PostgreSQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BatchForm {
    /// One array per column, unnested: the cheapest for plain PostgreSQL.
    Unnest,
    /// A `VALUES` list (several statements when the rows need more than
    /// PostgreSQL's parameters), which Citus routes to the tenant's shard
    /// without the coordinator evaluating the rows, at a higher cost per row
    /// (see the module's documentation).
    Values,
}

/// PostgreSQL's limit of bind parameters in one statement.
const MAX_PARAMS: usize = 65_535;

/// At most this many rows in one `VALUES` list.
const VALUES_ROWS: usize = 1_000;

/// What one column holds in every row.
enum Cells {
    /// One value, the same in every row: bound once.
    Same(Value),
    /// NULL in every row: a literal.
    Null,
    /// A value per row.
    Each(ArrayType, Vec<Value>),
    /// A value per row where the mask is false, NULL where it is true (the
    /// value there is a placeholder).
    Nullable(ArrayType, Vec<Value>, Vec<bool>),
}

struct Column {
    name: &'static str,
    pg_type: &'static str,
    cells: Cells,
    /// Sent as text and cast to `jsonb`.
    json: bool,
}

impl Column {
    /// The cast after a parameter or NULL of this column.
    fn cast(&self) -> String {
        if self.json { format!("::{}::jsonb", self.pg_type) } else { format!("::{}", self.pg_type) }
    }
}

/// The columns of a batch INSERT, in order, written as an
/// `INSERT … SELECT … FROM (SELECT unnest(…), …)` ([`Unnest::statement`])
/// or as `VALUES` lists ([`Unnest::values_statements`]).
///
/// A column whose rows all hold the same value (the tenant, the batch's
/// timestamps, a status every new row starts with) is bound once as a
/// scalar, and a nullable column that is NULL in every row is a literal
/// NULL: neither is built, copied, encoded or unnested per row.
pub(crate) struct Unnest {
    table: &'static str,
    columns: Vec<Column>,
    /// The number of rows.
    rows: usize,
}

impl Unnest {
    pub(crate) fn into(table: &'static str) -> Self {
        Self { table, columns: Vec::new(), rows: 0 }
    }

    fn push(&mut self, name: &'static str, pg_type: &'static str, cells: Cells) {
        self.columns.push(Column { name, pg_type, cells, json: false });
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
        self.rows = values.len();
        if values.len() > 1 && values.iter().all(|v| *v == values[0]) {
            values.truncate(1);
            self.push(name, pg_type, Cells::Same(values.pop().expect("one value").into()));
        } else {
            self.push(name, pg_type, Cells::Each(ty, values.into_iter().map(Into::into).collect()));
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
        self.rows = values.len();
        if values.iter().all(Option::is_none) {
            self.push(name, pg_type, Cells::Null);
            return self;
        }
        let (values, nulls): (Vec<Value>, Vec<bool>) = values
            .into_iter()
            .map(|v| v.map_or_else(|| (placeholder.clone().into(), true), |v| (v.into(), false)))
            .unzip();
        self.push(name, pg_type, Cells::Nullable(ty, values, nulls));
        self
    }

    /// A `jsonb` column, sent as text and cast.
    pub(crate) fn json(mut self, name: &'static str, values: impl Iterator<Item = String>) -> Self {
        self = self.column(name, "text", ArrayType::String, values);
        if let Some(last) = self.columns.last_mut() {
            last.json = true;
        }
        self
    }

    fn column_list(&self) -> String {
        self.columns.iter().map(|c| c.name).collect::<Vec<_>>().join(", ")
    }

    /// Runs the INSERT with `tail` after it, in `form`.
    pub(crate) async fn execute(self, db: &impl ConnectionTrait, tail: &str, form: BatchForm) -> Result<(), DbErr> {
        for statement in self.statements(tail, form) {
            db.execute_raw(statement).await?;
        }
        Ok(())
    }

    /// Runs the INSERT with `tail` (ending in `RETURNING …`) after it, in
    /// `form`, and returns the rows it returned.
    pub(crate) async fn query(
        self,
        db: &impl ConnectionTrait,
        tail: &str,
        form: BatchForm,
    ) -> Result<Vec<QueryResult>, DbErr> {
        let mut rows = Vec::new();
        for statement in self.statements(tail, form) {
            rows.extend(db.query_all_raw(statement).await?);
        }
        Ok(rows)
    }

    fn statements(self, tail: &str, form: BatchForm) -> Vec<Statement> {
        match form {
            BatchForm::Unnest => vec![self.statement(tail)],
            BatchForm::Values => self.values_statements(tail),
        }
    }

    /// The statement, with `tail` (an `ON CONFLICT` clause, `RETURNING`…)
    /// after it.
    ///
    /// The arrays are unnested in the select list, side by side (a
    /// `ProjectSet`), not in `FROM unnest(a, b, …)`: a function in `FROM`
    /// is materialised into a tuple store before the first row is inserted,
    /// which took PostgreSQL about twice as long for the same rows.
    pub(crate) fn statement(self, tail: &str) -> Statement {
        let columns = self.column_list();
        let mut params = Vec::new();
        let mut selected = Vec::new();
        let mut unnested = Vec::new();
        let bind = |params: &mut Vec<Value>, value: Value| {
            params.push(value);
            params.len()
        };
        for c in self.columns {
            let cast = c.cast();
            match c.cells {
                Cells::Same(value) => selected.push(format!("${}{cast}", bind(&mut params, value))),
                Cells::Null => selected.push(format!("NULL{cast}")),
                Cells::Each(ty, values) => {
                    selected.push(format!("t.{}{}", c.name, if c.json { "::jsonb" } else { "" }));
                    let n = bind(&mut params, Value::Array(ty, Some(Box::new(values))));
                    unnested.push(format!("unnest(${n}::{}[]) AS {}", c.pg_type, c.name));
                }
                Cells::Nullable(ty, values, nulls) => {
                    selected.push(format!("CASE WHEN t.{0}_null THEN NULL ELSE t.{0} END", c.name));
                    let n = bind(&mut params, Value::Array(ty, Some(Box::new(values))));
                    unnested.push(format!("unnest(${n}::{}[]) AS {}", c.pg_type, c.name));
                    let nulls = nulls.into_iter().map(Value::from).collect();
                    let n = bind(&mut params, Value::Array(ArrayType::Bool, Some(Box::new(nulls))));
                    unnested.push(format!("unnest(${n}::bool[]) AS {}_null", c.name));
                }
            }
        }
        let rows = if unnested.is_empty() {
            // Every column the same in all rows: one row, or (only for a
            // table without a key) several identical ones.
            format!("SELECT FROM generate_series(1, {})", self.rows)
        } else {
            format!("SELECT {}", unnested.join(", "))
        };
        let sql = format!(
            "INSERT INTO {table} ({columns}) SELECT {selected} FROM ({rows}) AS t {tail}",
            table = self.table,
            selected = selected.join(", "),
        );
        Statement::from_sql_and_values(DbBackend::Postgres, sql, params)
    }

    /// The same rows as `VALUES` lists, as many statements as PostgreSQL's
    /// limit of parameters (and [`VALUES_ROWS`]) need, each with `tail`.
    /// A column the same in every row is bound once per statement.
    pub(crate) fn values_statements(self, tail: &str) -> Vec<Statement> {
        let columns = self.column_list();
        let per_row = self.columns.iter().filter(|c| matches!(c.cells, Cells::Each(..) | Cells::Nullable(..))).count();
        let shared = self.columns.len() - per_row;
        let chunk = ((MAX_PARAMS - shared) / per_row.max(1)).clamp(1, VALUES_ROWS);
        /// Where a row's cell comes from.
        enum Cell {
            /// Parameter `$n`, shared by the statement's rows.
            Shared(usize),
            Null,
            /// The next value of `cells[i]`.
            Row(usize),
        }
        let mut casts = Vec::with_capacity(self.columns.len());
        let mut same = Vec::with_capacity(shared);
        let mut cells: Vec<(std::vec::IntoIter<Value>, Option<std::vec::IntoIter<bool>>)> = Vec::new();
        let mut plan = Vec::with_capacity(self.columns.len());
        for c in self.columns {
            casts.push(c.cast());
            plan.push(match c.cells {
                Cells::Same(v) => {
                    same.push(v);
                    Cell::Shared(same.len())
                }
                Cells::Null => Cell::Null,
                Cells::Each(_, values) => {
                    cells.push((values.into_iter(), None));
                    Cell::Row(cells.len() - 1)
                }
                Cells::Nullable(_, values, nulls) => {
                    cells.push((values.into_iter(), Some(nulls.into_iter())));
                    Cell::Row(cells.len() - 1)
                }
            });
        }
        let mut statements = Vec::new();
        let mut done = 0;
        while done < self.rows {
            let n = chunk.min(self.rows - done);
            let mut params = same.clone();
            let mut lists = Vec::with_capacity(n);
            for _ in 0..n {
                let mut row = Vec::with_capacity(plan.len());
                for (cell, cast) in plan.iter().zip(&casts) {
                    match cell {
                        Cell::Shared(n) => row.push(format!("${n}{cast}")),
                        Cell::Null => row.push(format!("NULL{cast}")),
                        Cell::Row(i) => {
                            let (values, nulls) = &mut cells[*i];
                            let value = values.next().expect("a value per row");
                            if nulls.as_mut().is_some_and(|n| n.next().expect("a mask per row")) {
                                row.push(format!("NULL{cast}"));
                            } else {
                                params.push(value);
                                row.push(format!("${}{cast}", params.len()));
                            }
                        }
                    }
                }
                lists.push(format!("({})", row.join(", ")));
            }
            let sql = format!("INSERT INTO {} ({columns}) VALUES {} {tail}", self.table, lists.join(", "));
            statements.push(Statement::from_sql_and_values(DbBackend::Postgres, sql, params));
            done += n;
        }
        statements
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
    fn values_lists_bind_shared_columns_once_per_statement_and_split_at_the_limit() {
        let s = Unnest::into("t")
            .column("tenant", "uuid", ArrayType::Int, [7, 7, 7].into_iter())
            .column("id", "int4", ArrayType::Int, [1, 2, 3].into_iter())
            .nullable("note", "text", ArrayType::String, String::new(), [None::<String>, None, None].into_iter())
            .nullable("name", "text", ArrayType::String, String::new(), [Some("a".to_owned()), None, None].into_iter())
            .json("tags", ["[]", "[1]", "[2]"].map(str::to_owned).into_iter())
            .values_statements("RETURNING id");
        assert_eq!(s.len(), 1);
        assert_eq!(
            s[0].sql,
            "INSERT INTO t (tenant, id, note, name, tags) VALUES \
             ($1::uuid, $2::int4, NULL::text, $3::text, $4::text::jsonb), \
             ($1::uuid, $5::int4, NULL::text, NULL::text, $6::text::jsonb), \
             ($1::uuid, $7::int4, NULL::text, NULL::text, $8::text::jsonb) RETURNING id"
        );
        let values = &s[0].values.as_ref().unwrap().0;
        assert_eq!(values.len(), 8);
        assert_eq!(values[0], Value::from(7));
        assert_eq!(values[4], Value::from(2), "the rows' values in order");

        // 70,000 rows of one value each: PostgreSQL takes 65,535 parameters,
        // and a list is cut at VALUES_ROWS rows anyway.
        let many = Unnest::into("t").column("id", "int8", ArrayType::BigInt, 0..70_000i64).values_statements("");
        assert_eq!(many.len(), 70);
        assert!(many.iter().all(|s| s.values.as_ref().unwrap().0.len() == VALUES_ROWS));
        assert!(many[69].sql.ends_with("($1000::int8) "));
        let wide = (0..100).fold(Unnest::into("w"), |u, _| u.column("c", "int8", ArrayType::BigInt, 0..3_000i64));
        let wide = wide.values_statements("");
        assert_eq!(wide.len(), 5, "100 columns: 655 rows fit in 65,535 parameters");
        assert!(wide.iter().all(|s| s.values.as_ref().unwrap().0.len() <= MAX_PARAMS));
    }

    #[test]
    fn rows_alike_in_every_column_still_count() {
        let s = Unnest::into("t").column("a", "int4", ArrayType::Int, [1, 1].into_iter()).statement("");
        assert_eq!(s.sql, "INSERT INTO t (a) SELECT $1::int4 FROM (SELECT FROM generate_series(1, 2)) AS t ");
        let one = Unnest::into("t").column("a", "int4", ArrayType::Int, [5].into_iter()).statement("");
        assert_eq!(one.sql, "INSERT INTO t (a) SELECT t.a FROM (SELECT unnest($1::int4[]) AS a) AS t ");
    }
}
