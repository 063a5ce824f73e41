//! Numbered pages of a list (`?page=N`).
//!
//! A page number comes from the address bar, so it can be anything an `i64` holds; the offset
//! it leads to is computed here with checked arithmetic, because `(page - 1) * size` wraps in a
//! release build and would hand the database a negative or nonsensical offset.

/// The highest page number a list answers: far beyond any real list (100,000 pages of 20 is
/// two million entries), so past it the page does not exist.
pub const MAX_PAGE: i64 = 100_000;

/// How many entries come before page `page` (counting from 1) of `per_page` entries; `None` for
/// a page that cannot exist (below 1, above [`MAX_PAGE`], or an offset that would not fit).
pub fn offset(page: i64, per_page: i64) -> Option<i64> {
    if !(1..=MAX_PAGE).contains(&page) || per_page < 1 {
        return None;
    }
    (page - 1).checked_mul(per_page)
}

/// How many pages `total` entries fill, at least one (an empty list still has its first page).
pub fn count(total: i64, per_page: i64) -> i64 {
    if per_page < 1 {
        return 1;
    }
    let total = total.max(0);
    (total / per_page + i64::from(total % per_page != 0)).clamp(1, MAX_PAGE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_never_wrap() {
        assert_eq!(offset(1, 20), Some(0));
        assert_eq!(offset(3, 20), Some(40));
        assert_eq!(offset(MAX_PAGE, 20), Some((MAX_PAGE - 1) * 20));
        for page in [0, -1, i64::MIN, MAX_PAGE + 1, i64::MAX, i64::MAX / 20 + 2] {
            assert_eq!(offset(page, 20), None, "{page}");
        }
        assert_eq!(offset(3, i64::MAX), None, "an offset that does not fit");
        assert_eq!(offset(1, 0), None);
    }

    #[test]
    fn page_counts() {
        assert_eq!(count(0, 20), 1);
        assert_eq!(count(20, 20), 1);
        assert_eq!(count(21, 20), 2);
        assert_eq!(count(i64::MAX, 1), MAX_PAGE);
        assert_eq!(count(-5, 20), 1);
    }
}
