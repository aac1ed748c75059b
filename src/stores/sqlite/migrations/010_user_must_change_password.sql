-- A password the user did not choose (the generated first-run admin's): the web UI asks for a new
-- one at sign-in, and the flag is cleared when the user changes it.
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
