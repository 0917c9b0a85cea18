//! The people an export names, packed: one text holding everyone's id, employee number, name
//! and e-mail one after another, where each ends, and a table of their numbers hashed by id. Held as
//! a `String` each and a map keyed by id strings, 100,000 people took some 24 MiB for the
//! whole of an export; packed, about 9 MiB.

use std::hash::BuildHasher;

use hashbrown::HashTable;

/// Who a row is about, as the export names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Person<'a> {
    /// Empty when the person has none.
    pub employee_no: &'a str,
    pub name: &'a str,
    pub email: &'a str,
}

/// An organization's people, numbered from 0 in the order they were added.
#[derive(Default)]
pub struct People {
    text: String,
    /// Where each person's id, employee number, name and e-mail end in `text`; their id
    /// starts where the person before them ends.
    ends: Vec<[u32; 4]>,
    /// Each person's number, found by the hash of their id.
    by_id: HashTable<u32>,
    hasher: foldhash::fast::RandomState,
}

/// The people's text grew past what `u32` places can say: some 4 million people with the
/// longest names and e-mails the service accepts.
#[derive(Debug, thiserror::Error)]
#[error("the people of one organization are over 4 GiB of text")]
pub struct TooManyPeople;

impl People {
    /// Adds a person and returns their number. An id added twice keeps its first number.
    pub fn push(
        &mut self,
        id: &str,
        employee_no: &str,
        name: &str,
        email: &str,
    ) -> Result<u32, TooManyPeople> {
        if let Some(known) = self.number_of(id) {
            return Ok(known);
        }
        let number = u32::try_from(self.ends.len()).map_err(|_| TooManyPeople)?;
        let parts = [id, employee_no, name, email];
        // Checked before anything is added, so that a person is added whole or not at all.
        let total = self.text.len() + parts.iter().map(|p| p.len()).sum::<usize>();
        u32::try_from(total).map_err(|_| TooManyPeople)?;
        let mut ends = [0; 4];
        for (end, part) in ends.iter_mut().zip(parts) {
            self.text.push_str(part);
            *end = self.text.len() as u32;
        }
        self.ends.push(ends);
        let hash = self.hasher.hash_one(id);
        let (text, all_ends, hasher) = (&self.text, &self.ends, &self.hasher);
        self.by_id
            .insert_unique(hash, number, |n| hasher.hash_one(id_in(text, all_ends, *n)));
        Ok(number)
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The number of the person with this id, if they are here.
    pub fn number_of(&self, id: &str) -> Option<u32> {
        let hash = self.hasher.hash_one(id);
        self.by_id
            .find(hash, |n| id_in(&self.text, &self.ends, *n) == id)
            .copied()
    }

    /// The id of person `number` (empty past the last).
    pub fn id(&self, number: u32) -> &str {
        id_in(&self.text, &self.ends, number)
    }

    /// Person `number` as rows name them.
    pub fn get(&self, number: u32) -> Option<Person<'_>> {
        let [id, employee_no, name, email] = *self.ends.get(number as usize)?;
        let part = |from: u32, to: u32| self.text.get(from as usize..to as usize).unwrap_or("");
        Some(Person {
            employee_no: part(id, employee_no),
            name: part(employee_no, name),
            email: part(name, email),
        })
    }
}

/// Person `number`'s id in `text`: from the end of the person before to the end of theirs.
fn id_in<'t>(text: &'t str, ends: &[[u32; 4]], number: u32) -> &'t str {
    let number = number as usize;
    let Some(end) = ends.get(number).map(|e| e[0]) else {
        return "";
    };
    let start = match number.checked_sub(1) {
        Some(before) => ends[before][3],
        None => 0,
    };
    text.get(start as usize..end as usize).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_person_reads_back_as_added_and_is_found_by_id() {
        let mut people = People::default();
        let rows = [
            ("u-1", "E001", "张伟", "zw@acme.test"),
            ("u-22", "", "Li Na", "ln@acme.test"),
            ("u-333", "E3", "", "x@acme.test"),
        ];
        for (n, (id, no, name, email)) in rows.iter().enumerate() {
            assert_eq!(people.push(id, no, name, email).unwrap(), n as u32);
        }
        assert_eq!(people.len(), 3);
        for (n, (id, no, name, email)) in rows.iter().enumerate() {
            let n = n as u32;
            assert_eq!(people.number_of(id), Some(n));
            assert_eq!(people.id(n), *id);
            assert_eq!(
                people.get(n),
                Some(Person {
                    employee_no: no,
                    name,
                    email
                })
            );
        }
        assert_eq!(people.number_of("u-2"), None);
        assert_eq!(people.number_of("u-1E001"), None);
        assert_eq!(people.get(3), None);
        assert_eq!(people.id(3), "");
    }

    #[test]
    fn no_one_is_found_among_no_people() {
        let people = People::default();
        assert!(people.is_empty());
        assert_eq!(people.number_of(""), None);
        assert_eq!(people.get(0), None);
        assert_eq!(people.id(0), "");
    }

    #[test]
    fn an_id_added_again_keeps_its_number_and_its_first_details() {
        let mut people = People::default();
        assert_eq!(people.push("a", "1", "Ann", "a@x.test").unwrap(), 0);
        assert_eq!(people.push("b", "2", "Bo", "b@x.test").unwrap(), 1);
        assert_eq!(people.push("a", "9", "Other", "o@x.test").unwrap(), 0);
        assert_eq!(people.len(), 2);
        assert_eq!(people.get(0).map(|p| p.name), Some("Ann"));
    }

    #[test]
    fn many_people_are_all_found_after_the_table_grows() {
        let mut people = People::default();
        for n in 0..5_000u32 {
            let id = format!("{n:08x}-0000-4000-8000-000000000000");
            assert_eq!(people.push(&id, "", &format!("P{n}"), "").unwrap(), n);
        }
        for n in (0..5_000u32).rev() {
            let id = format!("{n:08x}-0000-4000-8000-000000000000");
            assert_eq!(people.number_of(&id), Some(n));
            assert_eq!(
                people.get(n).map(|p| p.name.to_string()),
                Some(format!("P{n}"))
            );
        }
    }
}
