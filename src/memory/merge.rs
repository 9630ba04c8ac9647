//! Merging a duplicate's metadata into the stored unit's (see [`super::Writer::add`]):
//! dates, users, usage, origin, context, properties and notes.

use crate::unit::{Provenance, TranslationUnit};

/// Folds a duplicate's metadata into a stored unit's: earliest creation, latest
/// change and use, highest usage count; origin, context and id kept unless missing;
/// properties and notes united.
pub(super) fn merge_metadata(stored: &mut TranslationUnit, new: &TranslationUnit) {
    merge_provenance(&mut stored.provenance, &new.provenance);
    if stored.id.is_none() {
        stored.id = new.id.clone();
    }
    if stored.origin.file.is_none() {
        stored.origin.file = new.origin.file.clone();
    }
    if stored.origin.score.is_none() {
        stored.origin.score = new.origin.score;
    }
    if stored.context.prev.is_none() && stored.context.next.is_none() {
        stored.context = new.context.clone();
    }
    merge_list(&mut stored.props, &new.props);
    merge_list(&mut stored.notes, &new.notes);
}

pub(super) fn merge_provenance(stored: &mut Provenance, new: &Provenance) {
    if let Some(c) = new.created {
        if stored.created.is_none_or(|s| c < s) {
            stored.created = Some(c);
            stored.created_by = new.created_by.clone().or(stored.created_by.take());
        }
    }
    if let Some(c) = new.changed {
        if stored.changed.is_none_or(|s| c > s) {
            stored.changed = Some(c);
            stored.changed_by = new.changed_by.clone().or(stored.changed_by.take());
        }
    }
    if let Some(u) = new.last_used {
        if stored.last_used.is_none_or(|s| u > s) {
            stored.last_used = Some(u);
        }
    }
    if let Some(n) = new.usage_count {
        stored.usage_count = Some(stored.usage_count.unwrap_or(0).max(n));
    }
}

pub(super) fn merge_list<T: PartialEq + Clone>(stored: &mut Vec<T>, new: &[T]) {
    for item in new {
        if !stored.contains(item) {
            stored.push(item.clone());
        }
    }
}
