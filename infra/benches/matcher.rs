//! The keyword matcher alone: posts per second at 10, 100 and 1,000 brands of
//! three keywords each (one Russian, one English, one two-word phrase), over
//! realistic mixed-language posts of ~25 words, a third of which mention a brand.
//!
//! Run: `cargo bench -p smrm-infra --bench matcher`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use smrm_domain::ids::BrandId;
use smrm_domain::ports::{BrandMatcher, BrandQuery};
use smrm_infra::matcher::Matcher;

const RU_STEMS: [&str; 10] = ["мега", "теле", "связ", "нет", "лайн", "ком", "мобил", "банк", "тех", "сеть"];
const EN_STEMS: [&str; 10] = ["giga", "tele", "link", "net", "line", "com", "mobi", "bank", "tech", "wave"];

fn brand_name(i: usize, stems: &[&str; 10]) -> String {
    format!("{}{}{}", stems[i % 10], stems[(i / 10) % 10], stems[(i / 100) % 10])
}

fn queries(n: usize) -> Vec<BrandQuery> {
    (0..n)
        .map(|i| BrandQuery {
            brand_id: BrandId::new(),
            keywords: vec![
                brand_name(i, &RU_STEMS),
                brand_name(i, &EN_STEMS),
                format!("{} pro", brand_name(i, &EN_STEMS)),
            ],
            excluded_keywords: vec![],
            languages: vec![],
        })
        .collect()
}

fn posts(n_brands: usize) -> Vec<String> {
    let filler_ru = "вчера звонил в поддержку и ждал ответа почти час, оператор вежливый но проблему так и не решили";
    let filler_en = "called support yesterday and waited almost an hour, the agent was polite but nothing got fixed";
    (0..1000)
        .map(|i| {
            let filler = if i % 2 == 0 { filler_ru } else { filler_en };
            match i % 3 {
                0 => format!(
                    "{} {}ом #{}",
                    filler,
                    brand_name(i % n_brands, &RU_STEMS),
                    brand_name(i % n_brands, &EN_STEMS)
                ),
                _ => format!("{filler} сегодня опять"),
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("matcher");
    for n in [10usize, 100, 1000] {
        let matcher = Matcher::compile(queries(n));
        let posts = posts(n);
        let found: usize = posts.iter().map(|p| matcher.find(p, None).len()).sum();
        assert!(found >= posts.len() / 3, "the corpus mentions brands: {found}");
        group.throughput(Throughput::Elements(posts.len() as u64));
        group.bench_function(format!("{n}_brands"), |b| {
            b.iter(|| {
                for p in &posts {
                    black_box(matcher.find(black_box(p), None));
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
