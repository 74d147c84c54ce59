-- The day a borrower graduated or left, when the county's 毕业确认 gave one
-- earlier than the course's end: the state's interest subsidy stops there.
ALTER TABLE loan_applications ADD COLUMN graduated_on {{datetime}} NULL;
